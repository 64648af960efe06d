// exercism's test-runner results.json, version 3:
// https://github.com/exercism/docs/blob/main/building/tooling/test-runners/interface.md
import { plain } from '../output.ts';
import type { ExerciseResult, Status, TestVerdict } from './verdict.ts';

export interface ResultsJsonTest {
  name: string;
  status: Status;
  message?: string;
  output?: string;
  test_code?: string;
  task_id?: number;
}

export interface ResultsJson {
  version: 3;
  status: Status;
  message?: string;
  tests: ResultsJsonTest[];
}

const OUTPUT_LIMIT = 500; // exercism truncates a test's output at 500 characters

/**
 * - `status` is "error" only when no test could run at all; an exercise
 *   that could not run (missing, crashed, stuck) is listed as tests with
 *   status "error" and a message, so a score cannot be read from the
 *   listed tests alone, and the overall status is then "fail".
 * - `task_id` is the lesson's task number. Task numbers restart in each
 *   lesson, so when the results span several lessons (`check --all`) a
 *   task number does not name one task, and `task_id` is left out.
 * - Names are stable: a random seed in a test's name (fresh on every run)
 *   moves to its message.
 */
export function toResultsJson(results: ExerciseResult[]): ResultsJson {
  const oneLesson = new Set(results.map((r) => r.exercise.lesson.slug)).size === 1;
  return joinResults(results.map(resultsPart), oneLesson);
}

/**
 * One exercise's share of results.json: its test entries (each with its
 * task_id, which joinResults drops when the results span lessons), whether
 * any of its tests ran, and what kept it from running. `workbook grade`
 * gets these per exercise as each finishes, and joins them itself.
 */
export interface ResultsPart {
  tests: ResultsJsonTest[];
  ran: boolean;
  problems: string[];
}

export function resultsPart(r: ExerciseResult): ResultsPart {
  return {
    tests: [...errorTests(r), ...r.tests.map((t) => testEntry(r, t))],
    ran: r.tests.some((t) => t.status !== 'error'),
    problems: problems(r),
  };
}

/** results.json from the parts of the exercises checked, in order; `oneLesson`: they are all from one lesson. */
export function joinResults(parts: ResultsPart[], oneLesson: boolean): ResultsJson {
  const tests = parts.flatMap((p) => (oneLesson ? p.tests : p.tests.map(({ task_id: _, ...t }) => t)));
  const ran = parts.some((p) => p.ran);
  const status: Status = !ran ? 'error' : tests.every((t) => t.status === 'pass') ? 'pass' : 'fail';
  const json: ResultsJson = { version: 3, status, tests };
  // exercism: "message" is required when the status is error, and says what stopped the tests.
  if (status === 'error')
    json.message = plain(parts.flatMap((p) => p.problems).join('\n\n') || 'The tests could not run.');
  return json;
}

function testEntry(r: ExerciseResult, t: TestVerdict): ResultsJsonTest {
  const { name, seed } = stableName(t.name);
  const message = [t.message && plain(t.message + (t.where ? `\n(at ${t.where})` : '')), seed && `(${seed})`]
    .filter(Boolean)
    .join('\n');
  return {
    name: `${r.exercise.id} > ${name}`,
    status: t.status,
    ...(message ? { message } : {}),
    ...(t.output ? { output: truncate(t.output) } : {}),
    ...(t.code ? { test_code: t.code } : {}),
    ...(t.task !== null ? { task_id: t.task } : {}),
  };
}

/** An exercise that could not run (or stopped part way) as one test with status "error". */
function errorTests(r: ExerciseResult): ResultsJsonTest[] {
  const found = problems(r);
  if (found.length === 0) return [];
  return [
    {
      name: `${r.exercise.id} > ${r.tests.length > 0 ? 'the rest of ' : ''}${r.exercise.test}`,
      status: 'error',
      message: plain(found.join('\n\n')),
    },
  ];
}

function problems(r: ExerciseResult): string[] {
  return [
    ...(r.syntaxError
      ? [`${r.syntaxError.file}:${r.syntaxError.line}:${r.syntaxError.column}: ${r.syntaxError.message}`]
      : []),
    ...r.errors,
  ];
}

/** A test's name without the random seed some names carry: "... (seed 123; replay with WORKBOOK_SEED=123)". */
export function stableName(name: string): { name: string; seed?: string } {
  const match = /\s*\(([^()]*\bseed \d+[^()]*)\)/.exec(name);
  if (!match) return { name };
  const rest = match[1]!
    .split(/[;,]/)
    .map((part) => part.trim())
    .filter((part) => part && !/\bseed\b|WORKBOOK_SEED/i.test(part));
  const seed = /\bseed (\d+)/.exec(match[1]!)![1]!;
  const kept = rest.length > 0 ? ` (${rest.join(', ')})` : '';
  return {
    name: name.slice(0, match.index) + kept + name.slice(match.index + match[0].length),
    seed: `seed ${seed}; replay with WORKBOOK_SEED=${seed}`,
  };
}

function truncate(text: string): string {
  return text.length > OUTPUT_LIMIT
    ? `${text.slice(0, OUTPUT_LIMIT - 50)}\n[output truncated at ${OUTPUT_LIMIT} characters]`
    : text;
}
