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
  // TODO: check `workers` (RangeError unless 1 to 64), then
  // cluster.setupPrimary({ exec: options.workerFile, execArgv: ['--import', 'tsx'] }).
  // Fork each worker with cluster.fork({ PORT: '0' }) (they all share one
  // port) and wait for its 'listening' event, which gives the port. On a
  // worker's 'exit': unless shutting down, fork a replacement.
  // shutdown(graceMs): worker.send(SHUTDOWN_MESSAGE) to each, SIGKILL the
  // ones still running after graceMs, resolve when all have exited (task 7).
  throw new Error('TODO: write startCluster (task 7 in lessons/06-concurrent-servers/README.md)');
}
