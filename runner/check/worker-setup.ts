// Runs in each test worker before a lesson's test file (vitest setupFiles).
// It watches for what the learner's code can do that vitest does not report
// well, and tells the runner (runner/check/faults.ts):
// - process.exit(): the call is reported once, with its place, and the rest
//   of the file's tests are skipped (a real exit would have ended them);
// - child processes: each starts as the leader of its own process group,
//   and the whole group is killed after the file, and by the runner when the
//   check ends, even if this worker was killed;
// - an error no one handled is tagged with the test that started the code
//   that threw it, and the file waits (a little) for the timers its tests
//   left, so a late rejection is reported the same way on every run.
//
// A worker may run several test files one after another (grading does, one
// lesson per worker: runner/check/session.ts). So what patches Node is
// installed once per worker, and what belongs to a file starts afresh with
// each: the modules the file loads (its kit, its learner files) are loaded
// anew, as in a fresh worker, and the timers its code left are cleared.
import { createHook, executionAsyncResource } from 'node:async_hooks';
import { ChildProcess } from 'node:child_process';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BroadcastChannel, threadId } from 'node:worker_threads';
import { afterAll, afterEach, beforeEach, vi } from 'vitest';
import { EXIT_ERROR_NAME, FAULT_CHANNEL, type FaultMessage } from './faults.ts';

const LOADS = Symbol.for('workbook.loads');

/** A timer a test's code started. */
interface StartedTimer {
  timer: { _destroyed?: boolean };
  /** When it is due, on performance.now()'s clock (an interval: when it first fires). */
  due: number;
  repeats: boolean;
  /** Where it was started (captured now, formatted only if needed). */
  origin: { stack?: string };
}

/** What this file's tests have done so far; the patches below, installed once per worker, read the current file's. */
interface FileWatch {
  testFile: string;
  currentTest: string | undefined;
  exited: Error | undefined;
  /** Timers the tests started that may not have fired yet (fired and cleared ones are swept out now and then). */
  startedTimers: StartedTimer[];
}

interface WorkerWatch {
  file: FileWatch;
  post(message: FaultMessage): void;
  /** The child processes still running, from any file. */
  children: Set<number>;
}

const WATCH = Symbol.for('workbook.worker-watch');
const global = globalThis as { [WATCH]?: WorkerWatch };
const ranBefore = global[WATCH] !== undefined;
const watch = (global[WATCH] ??= installWatch());
// A file after the first in this worker: its modules load anew, as in a fresh worker.
if (ranBefore) vi.resetModules();
const file: FileWatch = { testFile: '', currentTest: undefined, exited: undefined, startedTimers: [] };
watch.file = file;
watch.post({ kind: 'ready', thread: threadId });

beforeEach((context) => {
  file.testFile = context.task.file.filepath;
  file.currentTest = context.task.name;
  watch.post({ kind: 'test', thread: threadId, testFile: file.testFile, test: context.task.name });
  if (file.exited) context.skip(`not run: ${file.exited.message}`);
});

afterEach(() => {
  file.currentTest = undefined;
});

/**
 * Every async resource (promise, timer, socket) is stamped with the test
 * whose code created it, and passes the stamp on to what its callbacks
 * create: so code a test started is known as that test's, even after the
 * test ended. (AsyncLocalStorage cannot be entered around a vitest test.)
 */
const TEST = Symbol('workbook.startedBy');
type Stamped = { [TEST]?: string };

const pending = (t: StartedTimer): boolean => t.timer._destroyed !== true; // set once a timer fired or was cleared

function installWatch(): WorkerWatch {
  const channel = new BroadcastChannel(FAULT_CHANNEL);
  channel.unref();
  const state: WorkerWatch = {
    file: { testFile: '', currentTest: undefined, exited: undefined, startedTimers: [] },
    post: (message) => channel.postMessage(message),
    children: new Set(),
  };
  const startedBy = (): string | undefined => (executionAsyncResource() as Stamped)[TEST] ?? state.file.currentTest;

  // --- process.exit ---------------------------------------------------------
  process.exit = ((code?: number | string | null) => {
    const error = new Error(`your code called process.exit(${code ?? ''})`);
    error.name = EXIT_ERROR_NAME;
    state.post({
      kind: 'exit',
      testFile: state.file.testFile,
      test: startedBy(),
      code: Number(code ?? 0),
      stack: error.stack ?? '',
    });
    state.file.exited ??= error;
    // Nothing after process.exit() runs in a real program: stop this code path.
    throw error;
  }) as typeof process.exit;

  // --- what the file loads -----------------------------------------------------
  // Each module file the worker loads for a test file is told, as it is
  // loaded (so a file that then loops or dies still has told). The grader
  // reuses a lesson's results only when its code loaded nothing from another
  // lesson. vitest keeps a worker's modules in an internal object; when it
  // cannot be found, the worker says it cannot tell.
  type Modules = { ensureModule?: (id: string, url: string) => { file: string } };
  const workerState = (globalThis as { __vitest_worker__?: { filepath?: string; evaluatedModules?: Modules } })
    .__vitest_worker__;
  const modules = workerState?.evaluatedModules;
  const ensureModule = modules?.ensureModule;
  if (modules && ensureModule && !(LOADS in modules)) {
    const seen = new Set<string>();
    modules.ensureModule = function (this: Modules, id: string, url: string) {
      const node = ensureModule.call(this, id, url);
      const testFile = workerState?.filepath ?? '';
      if (!seen.has(`${testFile}\0${node.file}`) && !node.file.includes('/node_modules/')) {
        seen.add(`${testFile}\0${node.file}`);
        state.post({ kind: 'module', testFile, file: node.file });
      }
      return node;
    };
    Object.assign(modules, { [LOADS]: true });
  } else if (!modules || !ensureModule)
    state.post({ kind: 'module', testFile: workerState?.filepath ?? '', file: null });

  // --- child processes --------------------------------------------------------
  // Every asynchronous child_process function (spawn, exec, execFile, fork)
  // goes through ChildProcess.prototype.spawn, which the type definitions omit.
  type Spawner = { spawn(this: ChildProcess, options: { detached?: boolean }): unknown };
  const prototype = ChildProcess.prototype as unknown as Spawner;
  const spawn = prototype.spawn;
  prototype.spawn = function (this: ChildProcess, options: { detached?: boolean }) {
    // Its own process group, so that a shell and whatever it starts are ended together.
    options.detached = true;
    const result = spawn.call(this, options);
    const pid = this.pid;
    if (pid) {
      state.children.add(pid);
      state.post({ kind: 'child', pid });
      this.once('exit', () => {
        state.children.delete(pid);
        state.post({ kind: 'child-exit', pid });
      });
    }
    return result;
  };

  // --- who started the code that failed, and timers left behind ----------------
  // No destroy hook: with one, Node tracks the end of every promise, which
  // costs more than the whole rest of this file (measured with --cpu-prof).
  createHook({
    init(_asyncId, type, _trigger, resource) {
      const test = startedBy();
      if (!test) return;
      (resource as Stamped)[TEST] = test;
      if (type !== 'Timeout') return;
      const origin = {};
      // Enough frames to pass Node's timer internals; fewer is cheaper.
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 10;
      Error.captureStackTrace(origin);
      Error.stackTraceLimit = limit;
      const timer = resource as StartedTimer['timer'] & { _idleTimeout?: number; _repeat?: unknown };
      const timers = state.file.startedTimers;
      if (timers.length >= 1024) state.file.startedTimers = timers.filter(pending);
      state.file.startedTimers.push({
        timer,
        due: performance.now() + (Number(timer._idleTimeout) || 1),
        repeats: Boolean(timer._repeat),
        origin,
      });
    },
  }).enable();

  const tag = (error: unknown, test: string | undefined): void => {
    if (test && error instanceof Error && !('WORKBOOK_STARTED_BY' in error))
      Object.assign(error, { WORKBOOK_STARTED_BY: test });
  };
  // Tagged as the error is emitted: an extra listener would make vitest
  // think the program handles its errors, and report none of them.
  const emit = process.emit;
  process.emit = function (this: NodeJS.Process, event: string | symbol, ...args: unknown[]) {
    if (event === 'unhandledRejection') tag(args[0], (args[1] as Stamped | undefined)?.[TEST] ?? startedBy());
    else if (event === 'uncaughtException') tag(args[0], startedBy());
    return (emit as (this: NodeJS.Process, event: string | symbol, ...args: unknown[]) => boolean).call(
      this,
      event,
      ...args,
    );
  } as typeof process.emit;
  return state;
}

/** The longest the file waits, after its last test, for timers its tests started. */
const LATE_TIMER_WAIT_MS = 1_000;
/** The kit's and vitest's own timers (deadlines, timeouts) never fail a test late; the runner's kit bundle lies under node_modules/ (kit-bundle.ts). */
const infrastructure = [fileURLToPath(new URL('../kit/', import.meta.url)), `${sep}node_modules${sep}`];

/**
 * Whether the timer was started by the learner's code or the test's own
 * code: the first frame of its stack outside Node's internals and this file
 * decides.
 */
function startedByCodeUnderTest(timer: StartedTimer): boolean {
  const frames = (timer.origin.stack ?? '').split('\n').slice(1);
  const first = frames.find((f) => !f.includes('(node:') && !f.includes(' node:') && !f.includes(thisFile));
  return first !== undefined && !infrastructure.some((path) => first.includes(path));
}
const thisFile = fileURLToPath(import.meta.url);

afterAll(async () => {
  // A test's timer that fires after the last test would otherwise race the
  // end of the file: its error reported on one run, lost on the next. So the
  // file waits until each one-off timer the code under test started, and
  // that is due within LATE_TIMER_WAIT_MS, has fired (or was cleared); no longer.
  const until = performance.now() + LATE_TIMER_WAIT_MS;
  const left = () => file.startedTimers.filter((t) => pending(t) && startedByCodeUnderTest(t));
  const awaited = left().filter((t) => !t.repeats && t.due <= until);
  // Bounded by LATE_TIMER_WAIT_MS; polls because timers give no 'fired' event.
  while (awaited.some(pending) && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
  // A fired timer's rejection is reported on the next turn of the event loop.
  if (awaited.length > 0) await new Promise((resolve) => setImmediate(resolve));
  // The rest never fire: the next file in this worker must not see them, as in a fresh worker.
  for (const t of left()) clearTimeout(t.timer as unknown as NodeJS.Timeout);
  for (const pid of watch.children) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already ended
    }
  }
});
