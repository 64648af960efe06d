// Lesson 07, task 5: attempt limits that a reconnect does not reset.
//
// Say the limit of three attempts lives in the client, as in the tutorial,
// or in one connection: an attacker reconnects and gets three more, forever.
// So the server counts failures per account and per source address, and
// after three it asks for a wait that doubles with each failure. The wait
// has a ceiling and failures are forgotten after a quiet hour, so nobody,
// an attacker included, can lock a real user out for good.

export interface LimiterOptions {
  /** Failures allowed before any wait (3). */
  freeFailures?: number;
  /** The wait after the first failure past the free ones, doubled after each further one (1 s). */
  baseDelayMs?: number;
  /** The longest wait ever asked (60 s). */
  maxDelayMs?: number;
  /** A key with no failure for this long starts afresh (1 hour). */
  forgetAfterMs?: number;
  /** Keys remembered at most; the least recently failed go first (100,000). */
  maxKeys?: number;
  /** The clock, in milliseconds (Date.now). Tests pass their own. */
  now?: () => number;
}

/** Where a set of keys stands: attempts left before waits start, and the wait now in force. */
export interface LimitStatus {
  attemptsLeft: number;
  retryAfterMs: number;
}

/**
 * Counts login failures per key (`user:alice`, `ip:10.0.0.7`). An attempt
 * is charged before the password is checked, so parallel attempts cannot
 * slip past the limit; a success gives the charge back.
 */
export class AttemptLimiter {
  readonly #options: LimiterOptions;
  // TODO: a Map from key to { failures, lastFailure }, in the order of last failure.

  constructor(options: LimiterOptions = {}) {
    this.#options = options; // TODO: read each option with its default (freeFailures ?? 3, ...)
  }

  /**
   * Asks to try a password for `keys`. If a wait is in force for any key,
   * returns `{ allowed: false, retryAfterMs }` and charges nothing. Else
   * charges one failure to every key and returns `{ allowed: true }`.
   */
  begin(keys: readonly string[]): { allowed: true } | { allowed: false; retryAfterMs: number } {
    throw new Error('TODO: write AttemptLimiter.begin (task 5 in lessons/07-login/README.md)');
  }

  /** The password was right: the account starts afresh, and the other keys get their charge back. */
  succeed(accountKey: string, otherKeys: readonly string[] = []): void {
    throw new Error('TODO: write AttemptLimiter.succeed (task 5 in lessons/07-login/README.md)');
  }

  /** Attempts left before a wait (the fewest over `keys`), and the wait in force now (the longest). */
  status(keys: readonly string[]): LimitStatus {
    throw new Error('TODO: write AttemptLimiter.status (task 5 in lessons/07-login/README.md)');
  }

  /** The wait asked after `failures` failures: 0 up to the free ones, then base, 2 * base, ... up to the ceiling. */
  delayAfter(failures: number): number {
    throw new Error('TODO: write AttemptLimiter.delayAfter (task 5 in lessons/07-login/README.md)');
  }
}
