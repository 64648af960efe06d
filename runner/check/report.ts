// The human report of a check: a verdict per test, and for each failure the
// task, the test's sentence, what went wrong, where, and what to run next.
import { indent, mark, style } from '../output.ts';
import type { Diagnostic, ExerciseResult, TestVerdict } from './verdict.ts';

/** The report of one exercise, as lines of text. */
export function formatResult(result: ExerciseResult): string {
  const { exercise } = result;
  const passed = result.tests.filter((t) => t.status === 'pass').length;
  const lines: string[] = [];
  const head = `${exercise.lesson.number} ${exercise.name}: ${exercise.title}`;
  if (result.status === 'pass') {
    lines.push(`${mark.pass} ${style.bold(head)} ${style.dim(`(${passed} of ${result.tests.length} tests pass)`)}`);
  } else {
    const count = result.tests.length > 0 ? ` ${style.dim(`(${passed} of ${result.tests.length} tests pass)`)}` : '';
    lines.push(`${mark.fail} ${style.bold(head)}${count}`);
  }
  if (result.syntaxError) {
    lines.push(
      '',
      indent(`${style.red('Syntax error')} in ${location(result.syntaxError)}: ${result.syntaxError.message}`, '  '),
    );
    if (result.syntaxError.frame) lines.push(indent(result.syntaxError.frame, '  '));
    lines.push(indent('Fix it; the tests run once the file parses.', '  '));
  }
  for (const error of result.errors) lines.push('', indent(error, '  '));
  lines.push(...formatTests(result.tests));
  lines.push(...formatWarnings(result.typeWarnings, result.reviewNotes));
  return lines.join('\n');
}

/**
 * What to do after a failure: read the task, re-check, ask for a hint.
 * `watching`: watch mode re-checks on save; otherwise the learner runs check again.
 */
export function formatNextSteps(result: ExerciseResult, { watching }: { watching: boolean }): string {
  const { exercise } = result;
  const again = watching
    ? 'then save your file to re-check'
    : `then run ${style.cyan(`npx workbook check ${exercise.name}`)} again (or ${style.cyan('npm start')} to re-check on every save)`;
  return [
    `  Next: read task ${exercise.task} in lessons/${exercise.lesson.slug}/README.md, ${again}.`,
    `  Stuck? ${style.cyan(`npx workbook hint ${exercise.name}`)}`,
  ].join('\n');
}

/** One exercise's share of a check's report: its text, and its next steps when it does not pass. */
export interface ReportPart {
  text: string;
  next?: string;
}

export function reportPart(result: ExerciseResult): ReportPart {
  return {
    text: formatResult(result),
    ...(result.status === 'pass' ? {} : { next: formatNextSteps(result, { watching: false }) }),
  };
}

/**
 * The report of a check of several exercises: each one's text, the next
 * steps once (for the first that fails), and how many pass. `workbook grade`
 * joins the parts it gets per exercise with the same function.
 */
export function joinReports(parts: ReportPart[]): string {
  const blocks = parts.map((p) => p.text);
  const failing = parts.find((p) => p.next !== undefined);
  if (failing) blocks.push(failing.next!);
  const text = blocks.map((b) => `${b}\n\n`).join('');
  if (parts.length < 2) return text;
  const passing = parts.filter((p) => p.next === undefined).length;
  return `${text}${style.bold(`${passing} of ${parts.length} exercises pass.`)}\n`;
}

/** Type errors and review notes, as warnings: at most five of each, each with its source line. */
export function formatWarnings(types: Diagnostic[], notes: Diagnostic[]): string[] {
  return [
    ...formatDiagnostics(types, 'Type error (a warning: tests still run)', 'type errors'),
    ...formatDiagnostics(notes, 'Review note (the tests cannot catch this)', 'review notes'),
  ];
}

function formatDiagnostics(diagnostics: Diagnostic[], label: string, plural: string): string[] {
  const lines: string[] = [];
  for (const d of diagnostics.slice(0, 5)) {
    lines.push('', indent(`${mark.warn} ${label} in ${location(d)}: ${d.message}`, '  '));
    if (d.frame) lines.push(indent(d.frame, '    '));
  }
  if (diagnostics.length > 5) lines.push(indent(`… and ${diagnostics.length - 5} more ${plural}.`, '  '));
  return lines;
}

/**
 * Passing tests as one line each; failing ones with their message. Tests
 * failing with the same message (typically the starter's TODO) are grouped.
 */
function formatTests(tests: TestVerdict[]): string[] {
  const lines: string[] = [];
  const groups = new Map<string, TestVerdict[]>();
  for (const test of tests) {
    if (test.status === 'pass') continue;
    const key = test.message ?? '';
    groups.set(key, [...(groups.get(key) ?? []), test]);
  }
  if (tests.some((t) => t.status === 'pass')) {
    lines.push('');
    for (const test of tests.filter((t) => t.status === 'pass'))
      lines.push(`  ${mark.pass} ${style.dim(`Task ${test.task ?? '?'}`)} ${test.name}`);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    lines.push('');
    const shownTests = group.length > 6 ? group.slice(0, 4) : group;
    for (const test of shownTests) lines.push(`  ${mark.fail} ${style.dim(`Task ${test.task ?? '?'}`)} ${test.name}`);
    if (shownTests.length < group.length)
      lines.push(`  ${mark.fail} … and ${group.length - shownTests.length} more tests, failing the same way`);
    if (first.message) lines.push(indent(first.message, '      '));
    const where = group.find((t) => t.where)?.where;
    if (where) lines.push(style.dim(`      at ${where}`));
    if (first.output.trim())
      lines.push(style.dim('      your code printed:'), indent(clipOutput(first.output), '        '));
  }
  return lines;
}

function location(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}`;
}

/** At most `maxLines` lines of what the code printed, each at most `maxLineChars` characters. */
export function clipOutput(text: string, maxLines = 10, maxLineChars = 200): string {
  const lines = text.trimEnd().split('\n');
  const shown = lines
    .slice(0, maxLines)
    .map((line) =>
      line.length > maxLineChars
        ? `${line.slice(0, maxLineChars)}… (${line.length - maxLineChars} more characters)`
        : line,
    );
  if (lines.length > maxLines) shown.push(`… (${lines.length - maxLines} more lines)`);
  return shown.join('\n');
}
