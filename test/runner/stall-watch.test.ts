// The stall watch on a fake clock: when a quiet run counts as stuck.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { STALL_MS, StallWatch } from '../../runner/check/stall-watch.ts';

/** Whether `watch` has said 'stalled' by now. */
async function stalled(promise: Promise<'stalled'>): Promise<boolean> {
  const none = Symbol('none');
  return (await Promise.race([promise, Promise.resolve(none)])) === 'stalled';
}

/** Advances the clock by `ms`, and checks that the watch says 'stalled' then, not a millisecond before. */
async function expectStallAfter(promise: Promise<'stalled'>, ms: number, early: string, late: string): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms - 1);
  expect(await stalled(promise), early).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  expect(await stalled(promise), late).toBe(true);
}

/** A run whose first worker (thread 1) has started and said it is ready. */
function runWithReadyWorker(): StallWatch {
  const watch = new StallWatch();
  watch.begin();
  watch.workerStarting(1);
  watch.workerReady(1);
  return watch;
}

describe('StallWatch', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives a run three stall periods to start, then stops it', async () => {
    const watch = new StallWatch();
    watch.begin();
    const { promise, cancel } = watch.watch();
    await expectStallAfter(
      promise,
      3 * STALL_MS,
      'stalled before the start grace was over',
      'a run that never started was not stopped',
    );
    cancel();
  });

  it('ends a worker start grace once it is ready: code that loops at import stalls after one period', async () => {
    const watch = new StallWatch();
    watch.begin();
    watch.workerStarting(7);
    const { promise, cancel } = watch.watch();
    await vi.advanceTimersByTimeAsync(1_000);
    watch.workerReady(7); // then the learner's module loads, and loops
    await expectStallAfter(
      promise,
      STALL_MS,
      'stalled within a stall period',
      'a loop after the worker was ready waited for the whole start grace',
    );
    cancel();
  });

  it('keeps waiting for a worker that is still starting, whatever else progressed', async () => {
    const watch = runWithReadyWorker();
    const { promise, cancel } = watch.watch();
    await vi.advanceTimersByTimeAsync(STALL_MS / 2);
    watch.workerStarting(2); // the next file's worker, on a loaded machine
    watch.progressed();
    await expectStallAfter(
      promise,
      3 * STALL_MS,
      'stopped a worker that was still within its start grace',
      'a worker that never got ready was not stopped',
    );
    cancel();
  });

  it('counts any progress: a run that keeps reporting never stalls', async () => {
    const watch = runWithReadyWorker();
    const { promise, cancel } = watch.watch();
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(STALL_MS - 1);
      watch.progressed();
    }
    expect(await stalled(promise)).toBe(false);
    cancel();
  });
});
