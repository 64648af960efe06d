// How a check tells a learner's endless loop from slow progress: every event
// from a test worker counts as progress, and a run with none for STALL_MS is
// stuck in a loop that never yields.
import { lessonTestOptions } from '../target.ts';

/** The quiet time that counts as a stall. (WORKBOOK_STALL_MS shortens it for the runner's own tests.) */
export const STALL_MS = Number(process.env.WORKBOOK_STALL_MS) || lessonTestOptions.testTimeout + 5_000;

/** How long a run or a worker may take to start before its first sign of life: three stall periods. */
const START_GRACE_MS = 3 * STALL_MS;

/** The run itself, while vitest starts, before any worker exists. */
const RUN = 'run';

export class StallWatch {
  #lastProgress = 0;
  /** What is starting (the run, worker threads by id), and until when each may stay quiet. */
  readonly #starting = new Map<number | typeof RUN, number>();

  /** A run begins: its clock starts now, with time for vitest and the first worker to start. */
  begin(): void {
    this.#lastProgress = performance.now();
    this.#starting.clear();
    this.#starting.set(RUN, this.#lastProgress + START_GRACE_MS);
  }

  /** Any event from a worker shows it is not stuck in a loop. */
  progressed = (): void => {
    this.#lastProgress = performance.now();
  };

  /**
   * A worker thread is starting: booting it can take seconds on a loaded
   * machine, for every file that starts, not only the first ones, so the
   * watch waits for it longer than for a stall.
   */
  workerStarting = (threadId: number): void => {
    this.#starting.set(threadId, performance.now() + START_GRACE_MS);
  };

  /**
   * The worker is up and about to load its test file (runner/check/faults.ts,
   * 'ready'): its grace ends, and the run's. From here each module it loads
   * is progress, so code that loops at import is a stall after STALL_MS,
   * not after the whole grace.
   */
  workerReady = (threadId: number): void => {
    this.#starting.delete(threadId);
    this.#starting.delete(RUN);
    this.progressed();
  };

  /** When the run counts as stalled, if nothing happens before. */
  #deadline(): number {
    return Math.max(this.#lastProgress + STALL_MS, ...this.#starting.values());
  }

  /** Resolves 'stalled' once no progress came for STALL_MS (or a start took its whole grace); cancel() stops watching. */
  watch(): { promise: Promise<'stalled'>; cancel: () => void } {
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<'stalled'>((resolve) => {
      const tick = (): void => {
        const left = this.#deadline() - performance.now();
        if (left <= 0) return resolve('stalled');
        // At most a stall period ahead: a grace that ends early (workerReady)
        // moves the deadline to a stall period from then, never sooner.
        timer = setTimeout(tick, Math.min(left, STALL_MS));
      };
      tick();
    });
    return { promise, cancel: () => clearTimeout(timer) };
  }
}
