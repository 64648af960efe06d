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

interface Entry {
  failures: number;
  lastFailure: number;
}

/**
 * Counts login failures per key (`user:alice`, `ip:10.0.0.7`). An attempt
 * is charged before the password is checked, so parallel attempts cannot
 * slip past the limit; a success gives the charge back.
 */
export class AttemptLimiter {
  readonly #free: number;
  readonly #base: number;
  readonly #max: number;
  readonly #forget: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: LimiterOptions = {}) {
    this.#free = options.freeFailures ?? 3;
    this.#base = options.baseDelayMs ?? 1_000;
    this.#max = options.maxDelayMs ?? 60_000;
    this.#forget = options.forgetAfterMs ?? 3_600_000;
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Asks to try a password for `keys`. If a wait is in force for any key,
   * returns `{ allowed: false, retryAfterMs }` and charges nothing. Else
   * charges one failure to every key and returns `{ allowed: true }`.
   */
  begin(keys: readonly string[]): { allowed: true } | { allowed: false; retryAfterMs: number } {
    const { retryAfterMs } = this.status(keys);
    if (retryAfterMs > 0) return { allowed: false, retryAfterMs };
    const now = this.#now();
    for (const key of keys) {
      const entry = this.#live(key, now) ?? { failures: 0, lastFailure: now };
      entry.failures += 1;
      entry.lastFailure = now;
      this.#entries.delete(key); // re-insert: the Map's order is the order of last failure
      this.#entries.set(key, entry);
    }
    while (this.#entries.size > this.#maxKeys) this.#entries.delete(this.#entries.keys().next().value!);
    return { allowed: true };
  }

  /** The password was right: the account starts afresh, and the other keys get their charge back. */
  succeed(accountKey: string, otherKeys: readonly string[] = []): void {
    this.#entries.delete(accountKey);
    for (const key of otherKeys) {
      const entry = this.#entries.get(key);
      if (entry && entry.failures > 0) entry.failures -= 1;
    }
  }

  /** Attempts left before a wait (the fewest over `keys`), and the wait in force now (the longest). */
  status(keys: readonly string[]): LimitStatus {
    const now = this.#now();
    let failures = 0;
    let retryAfterMs = 0;
    for (const key of keys) {
      const entry = this.#live(key, now);
      if (!entry) continue;
      failures = Math.max(failures, entry.failures);
      retryAfterMs = Math.max(retryAfterMs, entry.lastFailure + this.delayAfter(entry.failures) - now);
    }
    return { attemptsLeft: Math.max(0, this.#free - failures), retryAfterMs };
  }

  /** The wait asked after `failures` failures: 0 up to the free ones, then base, 2 * base, ... up to the ceiling. */
  delayAfter(failures: number): number {
    if (failures < this.#free) return 0;
    return Math.min(this.#max, this.#base * 2 ** Math.min(failures - this.#free, 30));
  }

  #live(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && now - entry.lastFailure >= this.#forget) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
