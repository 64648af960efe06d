import { describe, expect, it } from 'vitest';
import { AttemptLimiter } from './throttle.ts';

/** A clock the test moves by hand: no test here sleeps. */
function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const KEYS = ['user:alice', 'ip:203.0.113.7'];

/** Makes `n` failed attempts at once-allowed moments. */
function failTimes(limiter: AttemptLimiter, keys: readonly string[], n: number): void {
  for (let i = 0; i < n; i++) {
    const gate = limiter.begin(keys);
    if (!gate.allowed) throw new Error(`attempt ${i + 1} was refused, but it should have been allowed`);
  }
}

describe('Task 5: attempt limits a reconnect does not reset', () => {
  it('allows three failures, then asks for a wait of 1 s', () => {
    const clock = manualClock();
    const limiter = new AttemptLimiter({ now: clock.now });
    expect(limiter.status(KEYS), 'a fresh account').toEqual({ attemptsLeft: 3, retryAfterMs: 0 });
    failTimes(limiter, KEYS, 2);
    expect(limiter.status(KEYS), 'after 2 failures').toEqual({ attemptsLeft: 1, retryAfterMs: 0 });
    failTimes(limiter, KEYS, 1);
    expect(limiter.status(KEYS), 'after 3 failures').toEqual({ attemptsLeft: 0, retryAfterMs: 1_000 });
    expect(limiter.begin(KEYS), 'the 4th attempt at once').toEqual({ allowed: false, retryAfterMs: 1_000 });
    clock.advance(400);
    expect(limiter.begin(KEYS), 'the 4th attempt 400 ms later').toEqual({ allowed: false, retryAfterMs: 600 });
    clock.advance(600);
    expect(limiter.begin(KEYS).allowed, 'the 4th attempt once the wait is over').toBe(true);
  });

  it('doubles the wait with each further failure, up to 60 s', () => {
    const clock = manualClock();
    const limiter = new AttemptLimiter({ now: clock.now });
    failTimes(limiter, KEYS, 3);
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      const wait = limiter.status(KEYS).retryAfterMs;
      waits.push(wait);
      clock.advance(wait);
      failTimes(limiter, KEYS, 1);
    }
    expect(waits, 'the waits after failures 3, 4, 5, ...').toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('does not count a refused attempt as another failure (the wait does not grow while you wait)', () => {
    const clock = manualClock();
    const limiter = new AttemptLimiter({ now: clock.now });
    failTimes(limiter, KEYS, 3);
    for (let i = 0; i < 50; i++) limiter.begin(KEYS);
    expect(limiter.status(KEYS), 'after 50 refused attempts').toEqual({ attemptsLeft: 0, retryAfterMs: 1_000 });
  });

  it('counts per account across addresses, and per address across accounts', () => {
    const clock = manualClock();
    const limiter = new AttemptLimiter({ now: clock.now });
    failTimes(limiter, ['user:alice', 'ip:10.0.0.1'], 1);
    failTimes(limiter, ['user:alice', 'ip:10.0.0.2'], 1);
    failTimes(limiter, ['user:alice', 'ip:10.0.0.3'], 1);
    expect(limiter.begin(['user:alice', 'ip:10.0.0.4']).allowed, 'alice from a 4th address').toBe(false);
    expect(limiter.begin(['user:bob', 'ip:10.0.0.4']).allowed, 'bob from that address').toBe(true);
    failTimes(limiter, ['user:carol', 'ip:10.0.0.9'], 1);
    failTimes(limiter, ['user:dave', 'ip:10.0.0.9'], 1);
    failTimes(limiter, ['user:erin', 'ip:10.0.0.9'], 1);
    expect(limiter.begin(['user:frank', 'ip:10.0.0.9']).allowed, 'a 4th account from one address').toBe(false);
  });

  it('never locks an account for good: the wait is at most 60 s, and failures are forgotten after an hour', () => {
    const clock = manualClock();
    const limiter = new AttemptLimiter({ now: clock.now });
    // An attacker fails 200 times, as fast as the waits allow.
    for (let i = 0; i < 200; i++) {
      clock.advance(limiter.status(KEYS).retryAfterMs);
      failTimes(limiter, KEYS, 1);
    }
    expect(limiter.status(KEYS).retryAfterMs, 'the wait after 200 failures').toBe(60_000);
    clock.advance(60_000);
    expect(limiter.begin(['user:alice', 'ip:198.51.100.1']).allowed, 'alice herself, a minute later').toBe(true);
    clock.advance(3_600_000);
    expect(limiter.status(KEYS), 'an hour with no failure').toEqual({ attemptsLeft: 3, retryAfterMs: 0 });
  });

  it('gives the account a fresh start after a success, and the address its one charge back', () => {
    const clock = manualClock();
    const limiter = new AttemptLimiter({ now: clock.now });
    failTimes(limiter, KEYS, 2);
    failTimes(limiter, KEYS, 1); // the right password this time:
    limiter.succeed('user:alice', ['ip:203.0.113.7']);
    expect(limiter.status(['user:alice']), 'the account after a success').toEqual({ attemptsLeft: 3, retryAfterMs: 0 });
    expect(limiter.status(['ip:203.0.113.7']), 'the address after a success').toEqual({
      attemptsLeft: 1,
      retryAfterMs: 0,
    });
  });

  it('charges an attempt when it begins, so ten at once get three tries, not ten', () => {
    const limiter = new AttemptLimiter({ now: manualClock().now });
    const allowed = Array.from({ length: 10 }, () => limiter.begin(KEYS).allowed).filter(Boolean).length;
    expect(allowed, 'attempts allowed out of ten begun before any finished').toBe(3);
  });

  it('remembers at most maxKeys keys, so a spray of names cannot fill memory', () => {
    const limiter = new AttemptLimiter({ now: manualClock().now, maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) limiter.begin([`user:name${i}`]);
    expect(limiter.status(['user:name999']).attemptsLeft, 'the latest key is remembered').toBe(2);
    expect(limiter.status(['user:name0']).attemptsLeft, 'the oldest key was dropped').toBe(3);
  });
});
