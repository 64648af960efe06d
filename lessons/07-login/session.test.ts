import { describe, expect, it } from 'vitest';
import { SessionStore } from './session.ts';

/** A clock the test moves by hand: no test here sleeps. */
function manualClock(start = 5_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('Task 6: session tokens', () => {
  it('issues a token of 32 random bytes in base64url (43 characters), a new one each time', () => {
    const sessions = new SessionStore({ now: manualClock().now });
    const tokens = Array.from({ length: 50 }, () => sessions.issue('alice').token);
    for (const token of tokens) expect(token, 'a token').toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(tokens[0]!, 'base64url').length, 'bytes in a token').toBe(32);
    expect(new Set(tokens).size, 'fifty tokens issued: all different').toBe(50);
  });

  it('tells whose a token is, and nothing for a token it never issued', () => {
    const sessions = new SessionStore({ now: manualClock().now });
    const { token } = sessions.issue('alice');
    expect(sessions.check(token), 'the token just issued').toBe('alice');
    expect(sessions.check(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`), 'a token one letter off').toBe(
      undefined,
    );
    expect(sessions.check(''), 'an empty token').toBeUndefined();
    expect(sessions.check('x'.repeat(10_000)), 'a 10,000-character token').toBeUndefined();
  });

  it('expires a token after ttlMs', () => {
    const clock = manualClock();
    const sessions = new SessionStore({ ttlMs: 60_000, now: clock.now });
    const { token, expiresAt } = sessions.issue('alice');
    expect(expiresAt, 'expiresAt').toBe(clock.now() + 60_000);
    clock.advance(59_999);
    expect(sessions.check(token), 'the token 1 ms before it expires').toBe('alice');
    clock.advance(1);
    expect(sessions.check(token), 'the token when it expires').toBeUndefined();
  });

  it('revokes one token at logout, and leaves the others', () => {
    const sessions = new SessionStore({ now: manualClock().now });
    const phone = sessions.issue('alice').token;
    const laptop = sessions.issue('alice').token;
    expect(sessions.revoke(phone), 'revoking a live token').toBe(true);
    expect(sessions.check(phone), 'the revoked token').toBeUndefined();
    expect(sessions.check(laptop), 'the other token').toBe('alice');
    expect(sessions.revoke(phone), 'revoking it again').toBe(false);
  });

  it("revokes all of a user's tokens at once", () => {
    const sessions = new SessionStore({ now: manualClock().now });
    const a = sessions.issue('alice').token;
    const b = sessions.issue('alice').token;
    const c = sessions.issue('bob').token;
    expect(sessions.revokeUser('alice'), "alice's tokens revoked").toBe(2);
    expect([sessions.check(a), sessions.check(b), sessions.check(c)], 'the three tokens after').toEqual([
      undefined,
      undefined,
      'bob',
    ]);
  });

  it('keeps at most maxSessions sessions, dropping the oldest', () => {
    const sessions = new SessionStore({ now: manualClock().now, maxSessions: 10 });
    const tokens = Array.from({ length: 20 }, (_, i) => sessions.issue(`user${i}`).token);
    expect(sessions.check(tokens[0]!), 'the oldest token').toBeUndefined();
    expect(sessions.check(tokens[19]!), 'the newest token').toBe('user19');
  });
});
