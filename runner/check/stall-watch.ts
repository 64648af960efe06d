// How a check tells a learner's endless loop from slow progress: every event
// from a test worker counts as progress, and a run with none for STALL_MS is
// stuck in a loop that never yields.
import { lessonTestOptions } from '../target.ts';

/** The quiet time that counts as a stall. (WORKBOOK_STALL_MS shortens it for the runner's own tests.) */
export const STALL_MS = Number(process.env.WORKBOOK_STALL_MS) || lessonTestOptions.testTimeout + 5_000;

export class StallWatch {
  #lastProgress = 0;

  /** A run begins: its clock starts now. */
  begin(): void {
    this.#lastProgress = performance.now();
  }

  /** Any event from a worker shows it is not stuck in a loop (a starting worker's grace is kept). */
  progressed = (): void => {
    this.#lastProgress = Math.max(this.#lastProgress, performance.now());
  };

  /**
   * Starting a worker and loading its test file get two more stall periods:
   * on a loaded machine that alone can take seconds, for every file that
   * starts, not only the first ones.
   */
  workerStarting = (): void => {
    this.#lastProgress = Math.max(this.#lastProgress, performance.now() + 2 * STALL_MS);
  };

  /** Resolves 'stalled' once no progress came for STALL_MS; cancel() stops watching. */
  watch(): { promise: Promise<'stalled'>; cancel: () => void } {
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
}
