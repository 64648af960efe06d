// The worker pool the lesson tests run in: vitest's worker threads, each
// with a memory limit, so that code holding memory without bound fails
// with a verdict instead of filling the machine. (vitest's own "threads"
// pool has no option for Worker's resourceLimits.)
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PoolOptions, PoolRunnerInitializer, PoolWorker, WorkerRequest } from 'vitest/node';

/** The JavaScript heap each test file may use; far above what any lesson's tests need. */
export const WORKER_HEAP_MB = 512;

/**
 * A worker that died (out of memory, or an exit vitest did not ask for)
 * is announced here as 'death' (threadId, error) instead of to vitest,
 * which would crash the runner with an unhandled 'error' event. The check
 * session stops the run and says what happened (runner/check/session.ts).
 */
export const workerDeaths = new EventEmitter<{ death: [threadId: number, error: Error | undefined] }>();

/** Resolves with the next test worker that dies (out of memory, say); cancel() stops waiting. */
export function nextDeath(): { promise: Promise<{ threadId: number; error: Error | undefined }>; cancel: () => void } {
  let listener: (threadId: number, error: Error | undefined) => void = () => {};
  const promise = new Promise<{ threadId: number; error: Error | undefined }>((resolve) => {
    listener = (threadId, error) => resolve({ threadId, error });
    workerDeaths.once('death', listener);
  });
  return { promise, cancel: () => workerDeaths.off('death', listener) };
}

export interface WorkbookThreads extends PoolRunnerInitializer {
  /** Ends the spare worker, if there is one. */
  close(): Promise<void>;
}

/**
 * The pool. With `warm` (watch mode), each time a worker stops, a spare
 * one is started: the next run finds a thread already booted with vitest's
 * worker code loaded, the larger part of a re-check's start (measured in
 * bench/runner.bench.ts). Each run still gets a fresh thread, so nothing
 * the learner's code did in one check is there in the next.
 */
export function workbookThreads({
  warm = false,
  onStart = () => {},
}: {
  warm?: boolean;
  /** Called as each test worker starts, with its thread id (the check session's stall watch gives it time to load). */
  onStart?: (threadId: number) => void;
} = {}): WorkbookThreads {
  let spare: { key: string; thread: Worker } | undefined;
  let closed = false;
  const spares = {
    /** The spare, if it was started with exactly these settings. */
    take(key: string): Worker | undefined {
      const found = spare?.key === key ? spare.thread : undefined;
      if (!found) void spare?.thread.terminate(); // started for other settings
      spare = undefined;
      return found;
    },
    prepare(key: string, start: () => Worker): void {
      if (!warm || closed || spare) return;
      const thread = start();
      thread.unref(); // an idle spare never keeps the process alive
      thread.once('exit', () => {
        if (spare?.thread === thread) spare = undefined;
      });
      thread.on('error', () => {}); // a spare that fails to start is simply not used
      spare = { key, thread };
    },
    async close(): Promise<void> {
      closed = true;
      const thread = spare?.thread;
      spare = undefined;
      await thread?.terminate();
    },
  };
  return {
    name: 'workbook-threads',
    createPoolWorker: (options) => new LimitedThread(options, spares, onStart),
    close: () => spares.close(),
  };
}

type Spares = {
  take(key: string): Worker | undefined;
  prepare(key: string, start: () => Worker): void;
};

class LimitedThread implements PoolWorker {
  readonly name = 'workbook-threads';
  readonly #entrypoint: string;
  readonly #options: PoolOptions;
  readonly #spares: Spares;
  readonly #onStart: (threadId: number) => void;
  /** What a spare must have been started with to stand in for this worker. */
  readonly #key: string;
  #thread: Worker | undefined;

  constructor(options: PoolOptions, spares: Spares, onStart: (threadId: number) => void) {
    this.#options = options;
    this.#spares = spares;
    this.#onStart = onStart;
    this.#entrypoint = resolve(options.distPath, 'workers/threads.js');
    this.#key = JSON.stringify([this.#entrypoint, options.env, options.execArgv]);
  }

  get #worker(): Worker {
    if (!this.#thread) throw new Error('The test worker was stopped or never started.');
    return this.#thread;
  }

  on(event: string, callback: (arg: unknown) => void): void {
    if (event === 'error' || event === 'exit') return; // see workerDeaths
    this.#worker.on(event, callback);
  }

  off(event: string, callback: (arg: unknown) => void): void {
    this.#worker.off(event, callback);
  }

  send(message: WorkerRequest): void {
    this.#worker.postMessage(message);
  }

  async start(): Promise<void> {
    if (this.#thread) return;
    const { logger } = this.#options.project.vitest;
    const thread = this.#spares.take(this.#key) ?? this.#spawn();
    thread.ref();
    this.#thread = thread;
    const { threadId } = thread;
    this.#onStart(threadId);
    let error: Error | undefined;
    thread.on('error', (e) => (error = e));
    thread.on('exit', () => {
      if (this.#thread) workerDeaths.emit('death', threadId, error); // not stopped by stop()
    });
    // What the learner's code writes to process.stdout goes where vitest's
    // output goes: the runner gives vitest a sink (runner/check/session.ts).
    thread.stdout.pipe(logger.outputStream, { end: false });
    thread.stderr.pipe(logger.errorStream, { end: false });
  }

  async stop(): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    await thread?.terminate();
    this.#spares.prepare(this.#key, () => this.#spawn());
  }

  deserialize(data: unknown): unknown {
    return data;
  }

  #spawn(): Worker {
    return new Worker(this.#entrypoint, {
      env: this.#options.env,
      execArgv: this.#options.execArgv,
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
  }
}
