// Every wait in a lesson test has a deadline, and the deadline says what was
// being waited for. A bare "Test timed out in 10000ms" teaches nothing;
// "your server accepted the connection but never replied within 2 s" does.
import type { EventEmitter } from 'node:events';

/** Thrown when a wait passes its deadline; `message` is written for the learner. */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/** Describes a deadline: how long, and what the learner is told when it passes. */
export interface Deadline {
  /** Milliseconds to wait. */
  ms?: number;
  /**
   * What went wrong, said to the learner: "your server never replied". A
   * function is called when the deadline passes, so it can tell what was seen.
   */
  message?: string | (() => string);
}

export const DEFAULT_DEADLINE_MS = 2_000;

/** Formats a duration as a beginner reads it: 2 s, 150 ms. */
export function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

/**
 * Resolves or rejects like `promise`, or rejects with a DeadlineError naming
 * what was awaited if it takes longer than `ms`. The timer never keeps the
 * process alive and is cleared as soon as the race is decided.
 */
export function withDeadline<T>(
  promise: Promise<T>,
  { ms = DEFAULT_DEADLINE_MS, message = 'the operation did not finish' }: Deadline = {},
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const said = typeof message === 'function' ? message() : message;
      // "never replied within 2 s" reads well; after a full sentence, the wait goes in brackets.
      reject(
        new DeadlineError(
          /[.?!)]$/.test(said.trim()) ? `${said.trim()} (waited ${formatMs(ms)})` : `${said} within ${formatMs(ms)}`,
        ),
      );
    }, ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Waits for one `event` from `emitter`, with a deadline. An 'error' event
 * rejects, except while awaiting 'error' itself or 'close' (which follows
 * an error).
 */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  deadline: Deadline = {},
): Promise<T> {
  let cleanup = (): void => {};
  const waited = new Promise<T>((resolve, reject) => {
    const onEvent = (...args: unknown[]): void => resolve(args as T);
    const onError = (err: Error): void => reject(err);
    emitter.once(event, onEvent);
    if (event !== 'error' && event !== 'close') emitter.once('error', onError);
    cleanup = () => {
      emitter.off(event, onEvent);
      emitter.off('error', onError);
    };
  });
  return withDeadline(waited, { message: `no '${event}' event came`, ...deadline }).finally(() => cleanup());
}
