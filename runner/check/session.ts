// Runs lesson tests in this process with vitest's Node API, so that watch
// mode re-runs without starting vitest again. One session per target tree.
import { dirname, join, resolve } from 'node:path';
import type { TestCase, TestModule } from 'vitest/node';
import { createVitest, type Reporter, type Vitest } from 'vitest/node';
import type { TestError } from '@vitest/utils';
import { lessonTestOptions, targetPlugin } from '../target.ts';
import { type Exercise, type Workbook, exerciseFile } from '../workbook.ts';
import { explain, explainUnhandled, whereInside } from './messages.ts';
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
  /** Test files whose run was stopped because it made no progress. */
  stalled?: Set<string>;
}

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
    const run: TestRun = runnable.length > 0 ? await this.#runTests(runnable, files) : { modules: [], unhandled: [] };
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

  async #runTests(exercises: Exercise[], files: string[]): Promise<TestRun> {
    const testFiles = exercises.map((e) => join(this.options.workbook.lessonsDir, e.lesson.slug, e.test));
    const total: TestRun = { modules: [], unhandled: [], stalled: new Set() };
    this.#logs.clear();
    let pending = testFiles;
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
      const result = await Promise.race([run, stalled.promise]).finally(stalled.cancel);
      if (result !== 'stalled') {
        total.modules.push(...result.modules);
        total.unhandled.push(...result.unhandled);
        break;
      }
      // Keep what finished; a file that started but did not finish is stuck;
      // the files that never started run again in a fresh vitest.
      const modules = vitest.state.getTestModules(pending);
      const finished = modules.filter((m) => m.state() === 'passed' || m.state() === 'failed');
      const started = modules.filter((m) => !finished.includes(m) && m.state() !== 'queued').map((m) => m.moduleId);
      const stuck = started.length > 0 ? started : pending.filter((f) => !finished.some((m) => m.moduleId === f));
      total.modules.push(...finished);
      total.unhandled.push(...(vitest.state.getUnhandledErrors() as TestError[]));
      for (const f of stuck) total.stalled!.add(f);
      pending = pending.filter((f) => !stuck.includes(f) && !finished.some((m) => m.moduleId === f));
      await this.#closeVitest({ force: true });
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
        lines.push(log.content);
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
        // We watch files ourselves (runner/watcher.ts); Vite's watcher would be a second one.
        server: { watch: null },
        logLevel: 'silent',
      },
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
    const errors = [
      ...(run.stalled?.has(testFile) ? [stallMessage(exercise)] : []),
      ...(module?.errors() ?? []).map((e) => explain(e as TestError)),
      ...explainUnhandled(
        run.unhandled.filter((e) => !e.VITEST_TEST_PATH || e.VITEST_TEST_PATH === testFile),
        learnerDir,
        workbook.root,
      ),
    ];
    const tests: TestVerdict[] = [];
    for (const test of module?.children.allTests() ?? []) {
      const result = test.result();
      if (result.state === 'skipped' || result.state === 'pending') continue;
      const verdict: TestVerdict = {
        name: test.name,
        task: taskOf(test) ?? exercise.task,
        status: result.state === 'passed' ? 'pass' : 'fail',
        output: (this.#logs.get(test.id) ?? []).join(''),
      };
      const error = result.state === 'failed' ? result.errors[0] : undefined;
      if (error) {
        verdict.message = explain(error);
        verdict.where = whereInside(error, learnerDir, workbook.root);
      }
      tests.push(verdict);
    }
    if (!module && errors.length === 0) errors.push('The tests did not run.');
    if (module && tests.length === 0 && errors.length === 0) errors.push(`${exercise.test} has no tests.`);
    const status = errors.length > 0 ? 'error' : worst(tests.map((t) => t.status));
    return { exercise, status, tests, errors };
  }
}

function taskOf(test: TestCase): number | undefined {
  for (let parent = test.parent; parent.type === 'suite'; parent = parent.parent) {
    const match = /^Task (\d+)\b/.exec(parent.name);
    if (match) return Number(match[1]);
  }
  return undefined;
}

function stallMessage(exercise: Exercise): string {
  return (
    `The tests of ${exercise.file} stopped making progress for ${STALL_MS / 1000} s and were stopped. ` +
    `Your code probably runs a loop that never ends and never awaits (for example while (true) without await), ` +
    `so nothing else, not even a timeout, can run.`
  );
}

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  const settled = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return settled;
}
