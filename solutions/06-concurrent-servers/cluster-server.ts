// Lesson 06, task 7: every core, with node:cluster.
//
// Say your event-loop server is busy, and the machine has more cores than
// the one your event loop runs on. node:cluster starts one process per
// core, all listening on the same port: the primary accepts connections
// and hands them out. What it costs: the workers share no memory, so a
// counter or a session kept in one worker is invisible to the others. And
// now someone must watch the workers: restart one that crashes, and stop
// them all gracefully.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { SHUTDOWN_MESSAGE } from './shout-protocol.ts';

export interface ClusterOptions {
  /** The program each worker runs (a .ts file, started with `--import tsx`). */
  workerFile: string;
  /** How many workers. Default: one per core (os.availableParallelism()). */
  workers?: number;
}

// #region running
export interface RunningCluster {
  /** The port every worker serves, on 127.0.0.1. */
  port: number;
  /** The process ids of the workers running now. */
  pids(): number[];
  /** How many crashed workers were replaced. */
  restarts(): number;
  /**
   * Stops the cluster: asks each worker to drain (the 'shutdown' message),
   * restarts none, kills (SIGKILL) any worker still running after
   * `graceMs`, and resolves once every worker has exited.
   */
  shutdown(graceMs: number): Promise<void>;
}
// #endregion running

/**
 * Starts `workers` processes running `workerFile` on one shared port, and
 * resolves once all of them listen. A worker that exits while the cluster
 * is not shutting down is replaced by a new one on the same port.
 */
export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const count = options.workers ?? availableParallelism();
  if (!Number.isInteger(count) || count < 1 || count > 64)
    throw new RangeError(`workers must be a whole number from 1 to 64, got ${count}`);
  // Workers are new Node processes: they need tsx to run a .ts file.
  cluster.setupPrimary({ exec: options.workerFile, execArgv: ['--import', 'tsx'] });

  // Every worker asks for the same address, port 0 included: the primary
  // keeps one listening socket per address, so they all share its port.
  // (A worker asking for the port number itself would try to bind it a
  // second time: EADDRINUSE.)
  let restarts = 0;
  let stopping = false;
  const running = new Set<Worker>();

  /** Forks one worker; resolves with the port once it listens, rejects if it exits first. */
  const fork = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({ PORT: '0' });
      running.add(worker);
      let listened = false;
      worker.once('listening', (address) => {
        listened = true;
        resolve(address.port);
      });
      worker.once('exit', (code, signal) => {
        running.delete(worker);
        reject(new Error(`a worker exited (${signal ?? `code ${code}`}) before it listened`));
        // No shared memory: whatever this worker held is gone. Replace the
        // process; the state must live elsewhere (a database, Redis). Only
        // a worker that had started: one that cannot start would be
        // replaced for ever.
        if (!stopping && listened) {
          restarts++;
          fork().catch(() => {}); // a replacement that fails to start is replaced in turn
        }
      });
    });

  let port: number | undefined;
  try {
    [port] = await Promise.all(Array.from({ length: count }, fork));
  } catch (error) {
    // One worker could not start: stop the others too, rather than leave
    // processes running that nobody will ever shut down.
    stopping = true;
    for (const worker of running) worker.process.kill('SIGKILL');
    throw error;
  }

  let stopped: Promise<void> | undefined;
  const shutdown = (graceMs: number): Promise<void> => {
    stopped ??= new Promise<void>((resolve) => {
      stopping = true;
      const workers = [...running];
      const exited = workers.map(
        (w) => new Promise<void>((done) => (w.isDead() ? done() : w.once('exit', () => done()))),
      );
      for (const worker of workers) if (worker.isConnected()) worker.send(SHUTDOWN_MESSAGE);
      // A worker stuck on a request, or a client that never closes, must
      // not keep the cluster up for ever.
      const deadline = setTimeout(() => {
        for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
      }, graceMs);
      void Promise.all(exited).then(() => {
        clearTimeout(deadline);
        resolve();
      });
    });
    return stopped;
  };

  return {
    port: port!,
    pids: () => [...running].flatMap((w) => (w.process.pid === undefined ? [] : [w.process.pid])),
    restarts: () => restarts,
    shutdown,
  };
}
