// Runs lesson tests in this process with vitest's Node API, so that watch
// mode re-runs without starting vitest again. One session per target tree.
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { TestCase, TestModule } from 'vitest/node';
import { createVitest, type Reporter, type Vitest } from 'vitest/node';
import { shown } from '../output.ts';
import type { TestError } from '@vitest/utils';
import { lessonTestOptions, targetPlugin } from '../target.ts';
import { type Exercise, type Workbook, exerciseFile } from '../workbook.ts';
import { type ExitCall, FaultLog } from './fault-log.ts';
import { EXIT_ERROR_NAME } from './faults.ts';
import { type LoopPlace, findLoops } from './loop-finder.ts';
import { explain, explainUnhandled, whereInside } from './messages.ts';
import { exitMessage, loadMessage, memoryMessage, stallMessage } from './fault-messages.ts';
import { workerDeaths } from './pool.ts';
import { findSyntaxError } from './syntax.ts';
import { type Analysis, Analyzer } from './analyzer.ts';
import { type Diagnostic, type ExerciseResult, type TestVerdict, worst } from './verdict.ts';

export interface SessionOptions {
  workbook: Workbook;
  /** The tree whose files are tested: lessons/, solutions/ or a submission. */
  targetDir: string;
  /** Also type-check and review the learner's files (warnings only). */
  typecheck?: boolean;
}

interface TestRun {
  modules: TestModule[];
  unhandled: TestError[];
  /** Test files whose run was stopped because it made no progress, with where the learner's code looped. */
  stalled: Map<string, LoopPlace | undefined>;
  /** Test files whose worker ran out of memory, with the test that was running. */
  outOfMemory: Map<string, string | undefined>;
  /** Test files in which the learner's code called process.exit(). */
  exits: Map<string, ExitCall>;
}

const emptyRun = (): TestRun => ({
  modules: [],
  unhandled: [],
  stalled: new Map(),
  outOfMemory: new Map(),
  exits: new Map(),
});

/** The most a test's printed output keeps (a learner's flood must not fill the runner's memory). */
const OUTPUT_KEPT = 64 * 1024;

/**
 * A run with no finished test for this long is stuck in a loop that never
 * yields. (WORKBOOK_STALL_MS shortens it for the runner's own tests.)
 */
const STALL_MS = Number(process.env.WORKBOOK_STALL_MS) || lessonTestOptions.testTimeout + 5_000;

export class CheckSession {
  #vitest: Vitest | undefined;
  readonly #logs = new Map<string, string[]>();
  #lastProgress = 0;
  readonly #analyzer: Analyzer | undefined;

  constructor(private readonly options: SessionOptions) {
    this.#analyzer = options.typecheck ? new Analyzer(options.workbook.root) : undefined;
  }

  /** Checks each exercise: syntax first, then its tests; type errors and review notes as warnings. */
  async run(exercises: Exercise[]): Promise<ExerciseResult[]> {
    const { results, analysis } = await this.runThenAnalyse(exercises);
    const found = await analysis;
    return results.map((r, i) => ({ ...r, typeWarnings: found[i]!.types, reviewNotes: found[i]!.notes }));
  }

  /**
   * Like run(), but resolves as soon as the tests finish (with no warnings
   * yet); `analysis` follows, one per exercise. Watch mode shows the verdict
   * first and the warnings when they come.
   */
  async runThenAnalyse(exercises: Exercise[]): Promise<{ results: ExerciseResult[]; analysis: Promise<Analysis[]> }> {
    const { workbook, targetDir } = this.options;
    const started = performance.now();
    const files = exercises.map((e) => exerciseFile(e, targetDir));
    const analysed = this.#analyzer?.check(files) ?? Promise.resolve({ types: [], notes: [] });
    const syntax = await Promise.all(files.map((f) => findSyntaxError(f, workbook.root).catch(() => undefined)));

    const runnable = exercises.filter((_, i) => !syntax[i]);
    const run: TestRun = runnable.length > 0 ? await this.#runTests(runnable) : emptyRun();
    const ms = performance.now() - started;
    const results = exercises.map((exercise, i): ExerciseResult => {
      if (syntax[i])
        return {
          exercise,
          status: 'error',
          tests: [],
          errors: [],
          syntaxError: syntax[i],
          typeWarnings: [],
          reviewNotes: [],
          ms,
        };
      return { ...this.#verdicts(exercise, run), typeWarnings: [], reviewNotes: [], ms };
    });
    const inFile = (file: string) => (d: Diagnostic) => resolve(workbook.root, d.file) === file;
    const analysis = analysed.then(({ types, notes }) =>
      files.map((f) => ({ types: types.filter(inFile(f)), notes: notes.filter(inFile(f)) })),
    );
    return { results, analysis };
  }

  async close(): Promise<void> {
    await Promise.all([this.#closeVitest(), this.#analyzer?.close()]);
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
    const faults = new FaultLog(this.#isLearnerFile);
    let pending = testFiles;
    try {
      // Each round either finishes every file or stops at least one stuck file,
      // so this ends after at most one round per file.
      while (pending.length > 0) {
        const vitest = await this.#open();
        for (const file of files) vitest.invalidateFile(file);
        this.#lastProgress = performance.now();
        const run = vitest
          .runTestFiles(pending)
          .then((r) => ({ modules: r.testModules, unhandled: r.unhandledErrors as TestError[] }));
        const stalled = this.#watchStall();
        const died = nextDeath();
        const result = await Promise.race([run, stalled.promise, died.promise]).finally(() => {
          stalled.cancel();
          died.cancel();
        });
        if (typeof result === 'object' && 'modules' in result) {
          total.modules.push(...result.modules);
          total.unhandled.push(...result.unhandled);
          break;
        }
        // Keep what finished; the files that never started (or, after a
        // stall, were not stuck) run again in a fresh vitest.
        const modules = vitest.state.getTestModules(pending);
        const finished = modules.filter((m) => m.state() === 'passed' || m.state() === 'failed');
        const started = modules.filter((m) => !finished.includes(m) && m.state() !== 'queued').map((m) => m.moduleId);
        const unfinished = pending.filter((f) => !finished.some((m) => m.moduleId === f));
        let stuck: string[];
        if (result === 'stalled') {
          stuck = started.length > 0 ? started : unfinished;
          const loops = await findLoops(this.#isLearnerFile);
          for (const f of stuck) total.stalled.set(f, loops.get(f));
        } else {
          const file = faults.fileOfThread.get(result.threadId);
          stuck = file ? [file] : started.length > 0 ? started : unfinished;
          for (const f of stuck) total.outOfMemory.set(f, faults.running.get(f));
        }
        total.modules.push(...finished);
        total.unhandled.push(...(vitest.state.getUnhandledErrors() as TestError[]));
        pending = unfinished.filter((f) => !stuck.includes(f));
        await this.#closeVitest({ force: true });
      }
    } finally {
      for (const [file, exit] of faults.exits) total.exits.set(file, exit);
      faults.close(); // ends the child processes the learner's code left
    }
    return total;
  }

  #watchStall(): { promise: Promise<'stalled'>; cancel: () => void } {
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<'stalled'>((resolve) => {
      const tick = (): void => {
        const idle = performance.now() - this.#lastProgress;
        if (idle >= STALL_MS) return resolve('stalled');
        timer = setTimeout(tick, STALL_MS - idle);
      };
      timer = setTimeout(tick, STALL_MS);
    });
    return { promise, cancel: () => clearTimeout(timer) };
  }

  async #open(): Promise<Vitest> {
    if (this.#vitest) return this.#vitest;
    const { workbook, targetDir } = this.options;
    const collector: Reporter = {
      onUserConsoleLog: (log) => {
        if (!log.taskId) return;
        const lines = this.#logs.get(log.taskId) ?? [];
        const kept = lines.reduce((n, l) => n + l.length, 0);
        if (kept < OUTPUT_KEPT) lines.push(log.content.slice(0, OUTPUT_KEPT - kept));
        this.#logs.set(log.taskId, lines);
      },
      onTestCaseResult: () => {
        this.#lastProgress = performance.now();
      },
    };
    this.#vitest = await createVitest(
      'test',
      {
        root: workbook.root,
        config: false,
        watch: false,
        reporters: [collector],
        include: ['lessons/*/*.test.ts'],
        ...lessonTestOptions,
      },
      {
        plugins: [targetPlugin(targetDir, workbook.lessonsDir)],
        // We watch files ourselves (runner/commands/watch.ts); Vite's watcher would be a second one.
        server: { watch: null },
        logLevel: 'silent',
      },
      // What the learner's code writes to process.stdout/stderr from a test
      // worker must not reach the runner's output (it would break --json);
      // console.log output is collected per test by the reporter above.
      { stdout: discard(), stderr: discard() },
    );
    return this.#vitest;
  }

  async #closeVitest({ force = false } = {}): Promise<void> {
    const vitest = this.#vitest;
    this.#vitest = undefined;
    if (!vitest) return;
    if (force) {
      // A worker stuck in a loop never answers the polite stop request. A
      // second cancel while the first is under way makes vitest stop its
      // workers by force (SIGKILL for forks, terminate() for threads).
      const polite = vitest.cancelCurrentRun('keyboard-input');
      const forced = vitest.cancelCurrentRun('keyboard-input');
      await settlesWithin(Promise.all([polite, forced]), 2_000);
    }
    const closing = vitest.close().catch(() => {});
    await settlesWithin(closing, 3_000);
  }

  #verdicts(exercise: Exercise, run: TestRun): Omit<ExerciseResult, 'typeWarnings' | 'reviewNotes' | 'ms'> {
    const { workbook, targetDir } = this.options;
    const testFile = join(workbook.lessonsDir, exercise.lesson.slug, exercise.test);
    const learnerDir = dirname(exerciseFile(exercise, targetDir));
    const module = run.modules.find((m) => m.moduleId === testFile);
    const exit = run.exits.get(testFile);
    const unhandled = run.unhandled.filter(
      (e) => (!e.VITEST_TEST_PATH || e.VITEST_TEST_PATH === testFile) && e.name !== EXIT_ERROR_NAME,
    );
    // An error that escaped, tagged with the test whose code started it, fails that test.
    const byTest = new Map<string, TestError[]>();
    const loose: TestError[] = [];
    for (const e of unhandled) {
      const test = typeof e.WORKBOOK_STARTED_BY === 'string' ? e.WORKBOOK_STARTED_BY : undefined;
      if (test) byTest.set(test, [...(byTest.get(test) ?? []), e]);
      else loose.push(e);
    }
    const place = (p: { file: string; line: number; column: number }): string =>
      `${shown(workbook.root, p.file)}:${p.line}:${p.column}`;
    const errors: string[] = [];
    if (run.stalled.has(testFile)) {
      const loop = run.stalled.get(testFile);
      errors.push(stallMessage(exercise.file, STALL_MS, loop && { ...loop, where: place(loop) }));
    }
    if (run.outOfMemory.has(testFile)) errors.push(memoryMessage(exercise.file, run.outOfMemory.get(testFile)));
    if (exit) errors.push(exitMessage(exit, exit.place && place(exit.place)));
    for (const e of module?.errors() ?? []) {
      if (exit && e.name === EXIT_ERROR_NAME) continue;
      errors.push(loadMessage(explain(e as TestError), whereInside(e as TestError, learnerDir, workbook.root)));
    }
    errors.push(...explainUnhandled(loose, learnerDir, workbook.root));
    const tests: TestVerdict[] = [];
    for (const test of module?.children.allTests() ?? []) {
      const result = test.result();
      if (result.state === 'pending') continue;
      if (result.state === 'skipped') {
        if (exit)
          tests.push({
            name: test.name,
            task: taskOf(test) ?? exercise.task,
            status: 'error',
            message: `Not run: your code called process.exit(${exit.code}) in an earlier test, which ends the program.`,
            output: '',
          });
        continue;
      }
      const verdict: TestVerdict = {
        name: test.name,
        task: taskOf(test) ?? exercise.task,
        status: result.state === 'passed' ? 'pass' : 'fail',
        output: (this.#logs.get(test.id) ?? []).join(''),
      };
      const error = result.state === 'failed' ? result.errors[0] : undefined;
      const escaped = byTest.get(test.name);
      if (error) {
        verdict.message = explain(error);
        verdict.where = whereInside(error, learnerDir, workbook.root);
      } else if (escaped) {
        verdict.status = 'fail';
        verdict.message = explainUnhandled(escaped, learnerDir, workbook.root, { startedHere: true }).join('\n');
      }
      if (escaped) byTest.delete(test.name);
      tests.push(verdict);
    }
    for (const rest of byTest.values()) errors.push(...explainUnhandled(rest, learnerDir, workbook.root));
    if (!module && errors.length === 0) errors.push('The tests did not run.');
    if (module && tests.length === 0 && errors.length === 0) errors.push(`${exercise.test} has no tests.`);
    const status = errors.length > 0 ? 'error' : worst(tests.map((t) => t.status));
    return { exercise, status, tests, errors };
  }
}

/** Resolves with the next test worker that dies (out of memory, say); cancel() stops waiting. */
function nextDeath(): { promise: Promise<{ threadId: number; error: Error | undefined }>; cancel: () => void } {
  let listener: (threadId: number, error: Error | undefined) => void = () => {};
  const promise = new Promise<{ threadId: number; error: Error | undefined }>((resolve) => {
    listener = (threadId, error) => resolve({ threadId, error });
    workerDeaths.once('death', listener);
  });
  return { promise, cancel: () => workerDeaths.off('death', listener) };
}

/** A stream that drops what it is given. */
function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

function taskOf(test: TestCase): number | undefined {
  for (let parent = test.parent; parent.type === 'suite'; parent = parent.parent) {
    const match = /^Task (\d+)\b/.exec(parent.name);
    if (match) return Number(match[1]);
  }
  return undefined;
}

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  const settled = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return settled;
}
