import { type FSWatcher, watch } from 'node:fs';
import { join, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { defineCommand } from '../command.ts';
import { formatNextSteps, formatResult, formatWarnings } from '../check/report.ts';
import { CheckSession } from '../check/session.ts';
import { exercisePointer, progressLine } from '../progress.ts';
import { say, style } from '../output.ts';
import { currentExercise, readState } from '../state.ts';
import { type Exercise, type Workbook, loadWorkbook } from '../workbook.ts';
import { recordResults } from './check.ts';

/** Editors save in several steps (truncate, write, rename); wait for the last. */
const DEBOUNCE_MS = 40;

export default defineCommand({
  name: 'watch',
  summary: 'Re-check your current exercise each time you save, and move on when it passes.',
  help: `Usage: npx workbook watch [--manual]

  --manual   do not watch files; press Enter to re-check (for file systems where watching fails)

Keys (then Enter): nothing = re-check, h = hint, l = list, q = quit.`,
  options: { manual: { type: 'boolean' } },
  async run({ values }) {
    return watchWorkbook(loadWorkbook(), { manual: values.manual === true });
  },
});

/** Checks the current exercise, then re-checks on every save until the learner quits. */
export async function watchWorkbook(workbook: Workbook, { manual }: { manual: boolean }): Promise<number> {
  const session = new CheckSession({ workbook, targetDir: workbook.lessonsDir, typecheck: true });
  let current = currentExercise(workbook, readState(workbook.root));
  let running: Promise<void> | undefined;
  let again = false;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));

  let runs = 0;
  let replaceLastVerdict = false;
  const check = async (): Promise<void> => {
    while (current) {
      const run = ++runs;
      const { results, analysis } = await session.runThenAnalyse([current]);
      const result = results[0]!;
      // On a terminal, a re-check after a save replaces the last verdict
      // (with where-am-I lines on top); moving on after a pass does not, so
      // the pass stays on screen.
      if (process.stdout.isTTY && replaceLastVerdict) {
        process.stdout.write('\x1b[2J\x1b[H');
        say(progressLine(workbook, readState(workbook.root)), exercisePointer(current), '');
      }
      replaceLastVerdict = result.status !== 'pass';
      say(formatResult(result), '');
      if (result.status !== 'pass') say(formatNextSteps(result, { watching: !manual }), '');
      recordResults(workbook, [result]);
      // Type errors and review notes come from a slower analysis; show them unless a newer check has begun.
      void analysis.then(([found]) => {
        const lines = found ? formatWarnings(found.types, found.notes) : [];
        if (run === runs && lines.length > 0) say(lines.join('\n'), '');
      });
      if (result.status !== 'pass') break;
      const next = currentExercise(workbook, readState(workbook.root));
      say(style.green(`${current.name} passes. `) + progressLine(workbook, readState(workbook.root)), '');
      current = next;
      if (current) say(exercisePointer(current), '');
    }
    if (!current) {
      say(style.green('Every exercise passes. Well done! Try the extensions at the end of each lesson README.'));
      finish(0);
      return;
    }
    say(
      style.dim(
        manual
          ? 'Press Enter to re-check, h for a hint, q to quit.'
          : 'Watching for saves… (Enter: re-check, h: hint, q: quit)',
      ),
    );
  };

  const schedule = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = check()
      .catch((error: unknown) => say(style.red(`The check itself failed: ${(error as Error).message}`)))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          schedule();
        }
      });
  };

  const watcher = manual ? undefined : startWatcher(workbook, () => current, schedule);
  const input = createInterface({ input: process.stdin, terminal: false });
  input.on('line', (line) => {
    const key = line.trim().toLowerCase();
    if (key === 'q') finish(0);
    else if (key === 'h' && current)
      void import('./hint.ts').then((m) => m.default.run({ values: {}, positionals: [current!.name] }));
    else if (key === 'l') void import('./list.ts').then((m) => m.default.run({ values: {}, positionals: [] }));
    else schedule();
  });
  input.on('close', () => {
    // No more input (stdin closed): keep watching files unless in manual mode.
    if (manual) finish(0);
  });
  const onSignal = (): void => finish(130);
  process.once('SIGINT', onSignal);

  if (current) say(exercisePointer(current), '');
  schedule();
  const code = await finished;
  process.off('SIGINT', onSignal);
  watcher?.close();
  input.close();
  session.abort(); // quitting does not wait for a stuck run
  await running;
  await session.close();
  return code;
}

/** Calls `onChange` when a .ts file of the current exercise's lesson is saved. */
function startWatcher(
  workbook: Workbook,
  current: () => Exercise | undefined,
  onChange: () => void,
): FSWatcher | undefined {
  let timer: NodeJS.Timeout | undefined;
  try {
    const watcher = watch(workbook.lessonsDir, { recursive: true }, (_event, filename) => {
      const exercise = current();
      if (!exercise || !filename) return;
      const path = String(filename);
      if (!path.startsWith(exercise.lesson.slug + sep) || !path.endsWith('.ts')) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, DEBOUNCE_MS);
    });
    watcher.on('error', () => say(style.yellow('Watching files stopped working; press Enter to re-check by hand.')));
    return watcher;
  } catch (error) {
    say(
      style.yellow(`Cannot watch ${join('lessons')} for saves here (${(error as Error).message}).`),
      'Press Enter to re-check by hand (or run: npx workbook watch --manual).',
    );
    return undefined;
  }
}
