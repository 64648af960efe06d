import { join, resolve } from 'node:path';
import type { Vitest } from 'vitest/node';
import type { TestError } from '@vitest/utils';
import { type TestRun, emptyRun, verdictsOf } from './verdicts.ts';
import { type Exercise, type Workbook, exerciseFile } from '../workbook.ts';
import { FaultLog } from './fault-log.ts';
import {
  type ExerciseProgress,
  PathOrder,
  type RunView,
  analyseByLesson,
  byLesson,
  gradingReporter,
} from './grading.ts';
import { sortStopped } from './stopped-run.ts';
import { findLoops } from './loop-finder.ts';
import { type WorkbookThreads, nextDeath, workbookThreads } from './pool.ts';
import { STALL_MS, StallWatch } from './stall-watch.ts';
import { findSyntaxError, syntaxErrorResult } from './syntax.ts';
import { type Analysis, Analyzer } from './analyzer.ts';
import { closeVitest, openVitest } from './vitest-instance.ts';
import type { Diagnostic, ExerciseResult } from './verdict.ts';

export interface SessionOptions {
  workbook: Workbook;
  /** The tree whose files are tested: lessons/, solutions/ or a submission. */
  targetDir: string;
  /** Also type-check and review the learner's files (warnings only). */
  typecheck?: boolean;
  /**
   * Watch mode: each run's test worker is started ahead, as the previous one
   * stops, and the type check runs at low priority (its warnings follow the
   * verdict anyway).
   */
  watching?: boolean;
  /**
   * Grading (runner/grade/stream.ts): run the test files in path order
   * (lesson by lesson), type-check each lesson's files on their own (so one
   * lesson's warnings never depend on another's files), and say when each
   * exercise starts and what it gave as it finishes, so that a run stopped
   * by a limit keeps what finished.
   */
  grading?: ExerciseProgress;
}

const noAnalysis = (): Analysis => ({ types: [], notes: [] });

export class CheckSession {
  #vitest: Promise<Vitest> | undefined;
  /** The vitest of the run under way, once started (the grading reporter reads it synchronously). */
  #running: Vitest | undefined;
  readonly #pool: WorkbookThreads;
  readonly #logs = new Map<string, string[]>();
  readonly #stall = new StallWatch();
  #abort: (() => void) | undefined;
  #aborted = false;
  readonly #analyzer: Analyzer | undefined;
  #faults: FaultLog | undefined;
  #runnable: Exercise[] = [];
  #independent = true;
  #crossLesson = false;

  constructor(private readonly options: SessionOptions) {
    this.#analyzer = options.typecheck
      ? new Analyzer(options.workbook.root, { background: options.watching })
      : undefined;
    this.#pool = workbookThreads({ warm: options.watching, onStart: this.#stall.workerStarting });
  }

  /** Checks each exercise: syntax, then its tests, while its type check and review run (warnings). */
  async run(exercises: Exercise[]): Promise<ExerciseResult[]> {
    const analysis = this.analyse(exercises);
    const results = await this.test(exercises);
    const found = await analysis;
    return results.map((r, i) => ({ ...r, typeWarnings: found[i]!.types, reviewNotes: found[i]!.notes }));
  }

  /**
   * The syntax check and the tests of each exercise, without warnings:
   * watch mode shows this verdict first and runs analyse() after it.
   */
  async test(exercises: Exercise[]): Promise<ExerciseResult[]> {
    const { workbook, targetDir } = this.options;
    const started = performance.now();
    const files = exercises.map((e) => exerciseFile(e, targetDir));
    // vitest starts while the files are parsed; a failure to start is reported by the run.
    this.#open().catch(() => {});
    const syntax = await Promise.all(files.map((f) => findSyntaxError(f, workbook.root).catch(() => undefined)));

    exercises.forEach((e, i) => syntax[i] && this.options.grading?.tested(syntaxErrorResult(e, syntax[i], 0)));

    const runnable = exercises.filter((_, i) => !syntax[i]);
    this.#runnable = runnable;
    this.#crossLesson = false;
    const run: TestRun = runnable.length > 0 ? await this.#runTests(runnable) : emptyRun();
    this.#independent =
      run.stalled.size === 0 &&
      run.outOfMemory.size === 0 &&
      run.unhandled.every((e) => e.VITEST_TEST_PATH) &&
      !this.#crossLesson;
    const ms = performance.now() - started;
    return exercises.map((exercise, i): ExerciseResult => {
      if (syntax[i]) return syntaxErrorResult(exercise, syntax[i], ms);
      return {
        ...verdictsOf(exercise, run, { workbook, targetDir, logs: this.#logs, stallMs: STALL_MS }),
        typeWarnings: [],
        reviewNotes: [],
        ms,
      };
    });
  }

  /** Type errors and review notes in each exercise's file (none without `typecheck`). */
  async analyse(exercises: Exercise[]): Promise<Analysis[]> {
    if (!this.#analyzer) return exercises.map(noAnalysis);
    const { workbook, targetDir } = this.options;
    const files = exercises.map((e) => exerciseFile(e, targetDir));
    const { types, notes } = this.options.grading
      ? await analyseByLesson(this.#analyzer, exercises, files)
      : await this.#analyzer.check(files);
    const inFile = (file: string) => (d: Diagnostic) => resolve(workbook.root, d.file) === file;
    return files.map((f) => ({ types: types.filter(inFile(f)), notes: notes.filter(inFile(f)) }));
  }

  /**
   * Whether each exercise's verdict in the last run came from its own test
   * file and lesson alone: no file stalled or ran out of memory (those stop
   * the files beside it too), every error that escaped was tied to its file,
   * and no lesson's code loaded another lesson's files (fault-log.ts).
   * `workbook grade` reuses a lesson's verdicts for identical files only then.
   */
  get independent(): boolean {
    return this.#independent;
  }

  /** Stops a run under way (a stuck one, say) at once, and any later one: their files count as not run. */
  abort(): void {
    this.#aborted = true;
    this.#abort?.();
  }

  async close(): Promise<void> {
    await Promise.all([this.#closeVitest(), this.#analyzer?.close()]);
    await this.#pool.close();
  }

  #isLearnerFile = (file: string): boolean => {
    const dir = this.options.targetDir;
    return file.startsWith(dir + '/') && !file.endsWith('.test.ts');
  };

  async #runTests(exercises: Exercise[]): Promise<TestRun> {
    const testFiles = exercises.map((e) => join(this.options.workbook.lessonsDir, e.lesson.slug, e.test));
    const files = exercises.map((e) => exerciseFile(e, this.options.targetDir));
    const total = emptyRun();
    this.#logs.clear();
    const faults = new FaultLog(this.#isLearnerFile, (message) =>
      message.kind === 'ready' ? this.#stall.workerReady(message.thread) : this.#stall.progressed(),
    );
    this.#faults = faults;
    // Grading runs one lesson at a time, each in a worker of its own, so
    // what one lesson's code does never reaches another lesson's verdicts.
    const runs = this.options.grading ? byLesson(testFiles) : [testFiles];
    try {
      for (const lessonFiles of runs) {
        if (this.#aborted) break;
        await this.#runRounds(lessonFiles, files, faults, total);
      }
    } finally {
      for (const [file, exit] of faults.exits) total.exits.set(file, exit);
      this.#crossLesson = faults.loadedAcrossLessons(this.options.targetDir, this.options.workbook.lessonsDir);
      faults.close(); // ends the child processes the learner's code left
      this.#faults = undefined;
    }
    return total;
  }

  /** Runs `testFiles` to their end, in as many rounds as stuck files need, adding what they gave to `total`. */
  async #runRounds(testFiles: string[], files: string[], faults: FaultLog, total: TestRun): Promise<void> {
    let pending = testFiles;
    // Each round either finishes every file or stops at least one stuck file,
    // so this ends after at most one round per file.
    while (pending.length > 0) {
      const vitest = await this.#open();
      this.#running = vitest;
      for (const file of files) vitest.invalidateFile(file);
      this.#stall.begin();
      const run = vitest
        .runTestFiles(pending)
        .then((r) => ({ modules: r.testModules, unhandled: r.unhandledErrors as TestError[] }));
      const stalled = this.#stall.watch();
      const died = nextDeath();
      const aborted = new Promise<'aborted'>((resolve) => {
        this.#abort = () => resolve('aborted');
        if (this.#aborted) resolve('aborted'); // abort() came while the run was starting
      });
      const result = await Promise.race([run, stalled.promise, died.promise, aborted]).finally(() => {
        this.#abort = undefined;
        stalled.cancel();
        died.cancel();
      });
      if (typeof result === 'object' && 'modules' in result) {
        total.modules.push(...result.modules);
        total.unhandled.push(...result.unhandled);
        break;
      }
      if (result === 'aborted') {
        await this.#closeVitest({ force: true });
        break;
      }
      const culprit = result === 'stalled' ? undefined : faults.fileOfThread.get(result.threadId);
      const { finished, stuck, rerun } = sortStopped(vitest.state.getTestModules(pending), pending, culprit);
      if (result === 'stalled') {
        const loops = await findLoops(this.#isLearnerFile);
        for (const f of stuck) total.stalled.set(f, loops.get(f));
      } else for (const f of stuck) total.outOfMemory.set(f, faults.running.get(f));
      total.modules.push(...finished);
      total.unhandled.push(...(vitest.state.getUnhandledErrors() as TestError[]));
      pending = rerun;
      await this.#closeVitest({ force: true });
    }
  }

  /** What the grading reporter reads of the run under way. */
  #runView: RunView = {
    exerciseOf: (moduleId) =>
      this.#runnable.find((e) => join(this.options.workbook.lessonsDir, e.lesson.slug, e.test) === moduleId),
    unhandled: () => (this.#running?.state.getUnhandledErrors() ?? []) as TestError[],
    exits: () => new Map(this.#faults?.exits),
    context: () => ({ ...this.options, logs: this.#logs, stallMs: STALL_MS }),
  };

  /** The session's vitest, started on first use (a failed start is tried again next time). */
  #open(): Promise<Vitest> {
    if (this.#vitest) return this.#vitest;
    const { workbook, targetDir } = this.options;
    const opening = openVitest({
      root: workbook.root,
      lessonsDir: workbook.lessonsDir,
      targetDir,
      pool: this.#pool,
      logs: this.#logs,
      onProgress: this.#stall.progressed,
      ...(this.options.grading
        ? { reporter: gradingReporter(this.options.grading, this.#runView), sequencer: PathOrder, shareWorker: true }
        : {}),
    });
    this.#vitest = opening;
    opening.catch(() => {
      if (this.#vitest === opening) this.#vitest = undefined;
    });
    return opening;
  }

  async #closeVitest({ force = false } = {}): Promise<void> {
    const opening = this.#vitest;
    this.#vitest = undefined;
    const vitest = await opening?.catch(() => undefined);
    if (vitest) await closeVitest(vitest, { force });
  }
}
