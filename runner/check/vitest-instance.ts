// The vitest instance a check session runs the lesson tests in: created
// through vitest's Node API with the lesson settings, the kit bundle and
// target plugins, and a reporter that keeps each test's console output and
// marks progress; closed politely, or by force when a worker is stuck.
import { Writable } from 'node:stream';
import { type BaseSequencer, createVitest, type Reporter, type Vitest } from 'vitest/node';
import { lessonTestOptions, targetPlugin } from '../target.ts';
import { kitBundlePlugin } from './kit-bundle.ts';
import type { WorkbookThreads } from './pool.ts';

/** The most a test's printed output keeps (a learner's flood must not fill the runner's memory). */
const OUTPUT_KEPT = 64 * 1024;

export interface VitestSettings {
  root: string;
  lessonsDir: string;
  /** The tree whose files are tested. */
  targetDir: string;
  pool: WorkbookThreads;
  /** Each test's console output, by task id; filled as the tests run. */
  logs: Map<string, string[]>;
  /** Called on every sign of life from a test worker. */
  onProgress: () => void;
  /** More reporter hooks (grading: when each exercise starts and ends). */
  reporter?: Partial<Reporter>;
  /** The order of the test files (grading: by path, lesson by lesson). */
  sequencer?: typeof BaseSequencer;
  /**
   * Run the files of one run in one worker, one after another, instead of
   * a fresh worker for each (grading: a run is one lesson). Each file still
   * loads its modules anew (worker-setup.ts); what it saves is starting a
   * thread and vitest's worker code for every file, about a third of the
   * CPU time of checking a whole workbook.
   */
  shareWorker?: boolean;
}

export async function openVitest(settings: VitestSettings): Promise<Vitest> {
  const { root, lessonsDir, targetDir, pool, logs, onProgress, reporter, sequencer, shareWorker } = settings;
  const collector: Reporter = {
    onUserConsoleLog: (log) => {
      if (!log.taskId) return;
      const lines = logs.get(log.taskId) ?? [];
      const kept = lines.reduce((n, l) => n + l.length, 0);
      if (kept < OUTPUT_KEPT) {
        lines.push(log.content.slice(0, OUTPUT_KEPT - kept));
        if (kept + log.content.length > OUTPUT_KEPT)
          lines.push(`\n… (more output: only the first ${OUTPUT_KEPT / 1024} KiB is kept)\n`);
      }
      logs.set(log.taskId, lines);
    },
    // Any event from a worker shows it is not stuck in a loop (on a loaded
    // machine, loading a test file alone can take seconds).
    onTestModuleCollected: onProgress,
    onTestModuleStart: onProgress,
    onTestCaseReady: onProgress,
    onHookStart: onProgress,
    onHookEnd: onProgress,
    onTestCaseResult: onProgress,
    ...reporter,
  };
  return createVitest(
    'test',
    {
      root,
      config: false,
      watch: false,
      reporters: [collector],
      include: ['lessons/*/*.test.ts'],
      includeTaskLocation: true, // each test's line, for its source in results.json
      ...lessonTestOptions,
      pool,
      ...(shareWorker ? { isolate: false, maxWorkers: 1 } : {}),
      ...(sequencer ? { sequence: { sequencer } } : {}),
    },
    {
      // The kit as one pre-built module: fewer modules for each fresh worker to load.
      plugins: [kitBundlePlugin(), targetPlugin(targetDir, lessonsDir)],
      // We watch files ourselves (runner/watcher.ts); Vite's watcher would be a second one.
      server: { watch: null },
      logLevel: 'silent',
    },
    // What the learner's code writes to process.stdout/stderr from a test
    // worker must not reach the runner's output (it would break --json);
    // console.log output is collected per test by the reporter above.
    { stdout: discard(), stderr: discard() },
  );
}

/** Closes `vitest`; with `force`, first stops its workers even if one is stuck in a loop. */
export async function closeVitest(vitest: Vitest, { force = false } = {}): Promise<void> {
  if (force) {
    // A worker stuck in a loop never answers the polite stop request. A
    // second cancel while the first is under way makes vitest stop its
    // workers by force (SIGKILL for forks, terminate() for threads).
    const polite = vitest.cancelCurrentRun('keyboard-input');
    const forced = vitest.cancelCurrentRun('keyboard-input');
    await settlesWithin(Promise.all([polite, forced]), 2_000);
  }
  await settlesWithin(
    vitest.close().catch(() => {}),
    3_000,
  );
}

/** A stream that drops what it is given. */
function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  const settled = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return settled;
}
