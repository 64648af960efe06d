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

class LimitedThread implements PoolWorker {
  readonly name = 'workbook-threads';
  readonly #entrypoint: string;
  readonly #options: PoolOptions;
  #thread: Worker | undefined;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#entrypoint = resolve(options.distPath, 'workers/threads.js');
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
    this.#thread = new Worker(this.#entrypoint, {
      env: this.#options.env,
      execArgv: this.#options.execArgv,
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    const { threadId } = this.#thread;
    let error: Error | undefined;
    this.#thread.on('error', (e) => (error = e));
    this.#thread.on('exit', () => {
      if (this.#thread) workerDeaths.emit('death', threadId, error); // not stopped by stop()
    });
    // What the learner's code writes to process.stdout goes where vitest's
    // output goes: the runner gives vitest a sink (runner/check/session.ts).
    this.#thread.stdout.pipe(logger.outputStream, { end: false });
    this.#thread.stderr.pipe(logger.errorStream, { end: false });
  }

  async stop(): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    await thread?.terminate();
  }

  deserialize(data: unknown): unknown {
    return data;
  }
}

export const workbookThreads: PoolRunnerInitializer = {
  name: 'workbook-threads',
  createPoolWorker: (options) => new LimitedThread(options),
};
