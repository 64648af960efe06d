// Watch mode as one loop over typed events (events.ts): a file saved, a key
// pressed, the terminal resized, a check finished. Its state lives here, in
// memory: the current exercise, the learner's progress (a StateStore, read
// once and written only when it changes), whether a check is running and
// whether another is owed. Nothing else changes that state, so there are no
// races between a save, a key and a finishing run.
import { isAbsolute, relative, sep } from 'node:path';
import { formatNextSteps, formatResult } from '../check/report.ts';
import type { ExerciseResult } from '../check/verdict.ts';
import { readHints } from '../hints.ts';
import { say, style } from '../output.ts';
import { exerciseLine, exercisePointer, progressLine } from '../progress.ts';
import { type StateStore, currentExercise } from '../state.ts';
import type { Exercise, Workbook } from '../workbook.ts';
import { showHints } from '../commands/hint.ts';
import type { EventQueue, WatchEvent } from './events.ts';

/**
 * Runs one check of `exercise`; the loop gets its outcome as an event.
 * `analysis` starts the slower type check and review, once the verdict is shown.
 */
export type Checker = (exercise: Exercise) => Promise<{ result: ExerciseResult; analysis: () => Promise<string[]> }>;

export interface LoopOptions {
  workbook: Workbook;
  store: StateStore;
  events: EventQueue;
  check: Checker;
  /** No file watching: Enter re-checks, and closing the input quits. */
  manual: boolean;
  /** Clear the screen and redraw on re-checks and resizes (a terminal). */
  redraw: boolean;
}

const CLEAR = '\x1b[2J\x1b[H';

export class WatchLoop {
  #current: Exercise | undefined;
  #runs = 0;
  /** The number of the run in progress, if any. */
  #running: number | undefined;
  /** A save or Enter came during a run: check again when it ends. */
  #owed = false;
  /** The last verdict on screen, for a redraw; set after a failure (a pass stays on screen). */
  #lastVerdict: string | undefined;

  constructor(readonly options: LoopOptions) {
    this.#current = currentExercise(options.workbook, options.store.state);
  }

  /** Handles events until the learner quits or every exercise passes; returns the exit code. */
  async run(): Promise<number> {
    if (this.#current) say(exercisePointer(this.#current), '');
    this.#startCheck();
    for (;;) {
      const code = this.#handle(await this.options.events.next());
      if (code !== undefined) return code;
    }
  }

  /** Handles one event; returns an exit code when the loop should end. */
  #handle(event: WatchEvent): number | undefined {
    switch (event.type) {
      case 'files':
        if (this.#current && event.paths.some((p) => this.#isLessonCode(p))) this.#startCheck();
        return undefined;
      case 'key':
        return this.#key(event.action);
      case 'resize':
        if (this.options.redraw && this.#lastVerdict !== undefined && this.#running === undefined) this.#drawFailure();
        return undefined;
      case 'input-closed':
        // No more keys: in manual mode nothing could re-check, so stop; else keep watching files.
        return this.options.manual ? 0 : undefined;
      case 'run-failed':
        this.#running = undefined;
        say(style.red(`The check itself failed: ${event.error.message}`));
        this.#prompt();
        return this.#afterRun();
      case 'run-finished':
        this.#running = undefined;
        return this.#finished(event.result, event.analysis, event.run);
      case 'analysis':
        // Type errors and review notes come later; show them unless a newer check has begun.
        if (event.run === this.#runs && this.#running === undefined && event.lines.length > 0)
          say(event.lines.join('\n'), '');
        return undefined;
    }
  }

  #key(action: string): number | undefined {
    const current = this.#current;
    if (action === 'quit') return 0;
    if (action === 'interrupt') return 130;
    try {
      if (action === 'check') this.#startCheck();
      else if (action === 'hint' && current) this.#hint(current);
      else if (action === 'list') this.#list();
    } catch (error) {
      // A malformed hints.md (a WorkbookError naming file and line) must not end the session.
      say(style.red((error as Error).message), '');
    }
    return undefined;
  }

  #startCheck(): void {
    const exercise = this.#current;
    if (!exercise) return;
    if (this.#running !== undefined) {
      this.#owed = true;
      return;
    }
    const run = ++this.#runs;
    this.#running = run;
    const { events, check } = this.options;
    check(exercise).then(
      ({ result, analysis }) => events.push({ type: 'run-finished', run, result, analysis }),
      (error: unknown) => events.push({ type: 'run-failed', run, error: error as Error }),
    );
  }

  #finished(result: ExerciseResult, analysis: () => Promise<string[]>, run: number): number | undefined {
    const { workbook, store, events } = this.options;
    const exercise = result.exercise;
    store.update((state) => {
      state.done = state.done.filter((id) => id !== exercise.id);
      if (result.status === 'pass') state.done.push(exercise.id);
    });
    if (result.status !== 'pass') {
      const verdict = `${formatResult(result)}\n\n${formatNextSteps(result, { watching: !this.options.manual })}\n`;
      // On a terminal, a re-check after a failure replaces the last verdict.
      if (this.options.redraw && this.#lastVerdict !== undefined) {
        this.#lastVerdict = verdict;
        this.#drawFailure();
      } else {
        this.#lastVerdict = verdict;
        say(verdict);
        this.#prompt();
      }
      const code = this.#afterRun();
      // Warnings for this verdict, unless a newer check has already begun.
      if (this.#running === undefined)
        analysis().then(
          (lines) => events.push({ type: 'analysis', run, lines }),
          () => {}, // no warnings, then: the verdict stands on its own
        );
      return code;
    }
    this.#lastVerdict = undefined;
    say(formatResult(result), '');
    this.#current = currentExercise(workbook, store.state);
    say(style.green(`${exercise.name} passes. `) + progressLine(workbook, store.state), '');
    if (!this.#current) {
      say(style.green('Every exercise passes. Well done! Try the extensions at the end of each lesson README.'));
      return 0;
    }
    say(exercisePointer(this.#current), '');
    this.#owed = false;
    this.#startCheck();
    return undefined;
  }

  #afterRun(): number | undefined {
    if (this.#owed) {
      this.#owed = false;
      this.#startCheck();
    }
    return undefined;
  }

  #drawFailure(): void {
    const { workbook, store } = this.options;
    process.stdout.write(CLEAR);
    say(progressLine(workbook, store.state), exercisePointer(this.#current!), '', this.#lastVerdict!);
    this.#prompt();
  }

  #prompt(): void {
    say(
      style.dim(
        this.options.manual
          ? 'Press Enter to re-check, h for a hint, l for the list, q to quit.'
          : 'Watching for saves… (Enter: re-check, h: hint, l: list, q: quit)',
      ),
    );
  }

  #hint(exercise: Exercise): void {
    const hints = readHints(exercise.lesson).get(exercise.task) ?? [];
    if (hints.length === 0) {
      say(`Task ${exercise.task} of lesson ${exercise.lesson.number} has no hints yet.`, '');
      return;
    }
    const { store } = this.options;
    const seen = showHints(exercise, hints, store.state.hints[exercise.id] ?? 0, false);
    store.update((state) => {
      state.hints[exercise.id] = seen;
    });
  }

  #list(): void {
    const { workbook, store } = this.options;
    for (const lesson of workbook.lessons) {
      say('', style.bold(`Lesson ${lesson.number}: ${lesson.title}`));
      for (const exercise of lesson.exercises) say(exerciseLine(exercise, store.state, this.#current));
    }
    say('', progressLine(workbook, store.state), '');
  }

  /** A .ts file in the current exercise's lesson folder (any of them: the exercise may import its neighbours). */
  #isLessonCode(path: string): boolean {
    const rel = relative(this.#current!.lesson.dir, path);
    return path.endsWith('.ts') && !rel.startsWith('..') && !isAbsolute(rel) && !rel.includes(sep);
  }
}
