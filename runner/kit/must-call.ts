// mustCall, after Node core's test/common: a callback that must be called
// exactly `times` times by the end of the test that made it.
import { onTestFinished } from 'vitest';

/**
 * Wraps `fn` (or a function doing nothing) so that the test fails unless it
 * was called exactly `times` times when the test ends. Call it inside a test.
 */
export function mustCall<A extends unknown[], R>(
  fn: (...args: A) => R = (() => undefined) as unknown as (...args: A) => R,
  times = 1,
): (...args: A) => R {
  if (!Number.isInteger(times) || times < 0) throw new RangeError(`mustCall(): times must be a count, not ${times}`);
  const made = new Error('made here');
  let calls = 0;
  onTestFinished(({ task }) => {
    // A test that already failed says why; a wrong count would only add noise.
    if (task.result?.state === 'fail') return;
    if (calls !== times) {
      const error = new Error(
        `${fn.name || 'a callback'} was called ${calls} ${calls === 1 ? 'time' : 'times'}, but must be called exactly ${times} ${times === 1 ? 'time' : 'times'}`,
      );
      error.stack = `${error.message}\n${made.stack?.split('\n').slice(1).join('\n') ?? ''}`;
      throw error;
    }
  });
  return (...args: A): R => {
    calls++;
    return fn(...args);
  };
}

/** A callback that fails the test if it is ever called. */
export function mustNotCall<A extends unknown[]>(what = 'this callback'): (...args: A) => void {
  return () => {
    throw new Error(`${what} must not be called`);
  };
}
