// Lesson 07, task 6: a session token after login.
//
// Say every later request had to carry the password again: it would cross
// the wire over and over, and be hashed each time (0.8 s). After one login
// the server hands out a token instead: 32 random bytes, useless to guess,
// valid for a while, and revocable at logout. The server keeps only the
// token's SHA-256, so a dump of its memory or a log of the table holds no
// usable token.
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_BYTES = 32;
/** 32 bytes in base64url without padding: 43 characters of A-Z a-z 0-9 - _. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface SessionOptions {
  /** How long a token is valid after it is issued (1 hour). */
  ttlMs?: number;
  /** Sessions kept at most; the oldest go first (100,000). */
  maxSessions?: number;
  /** The clock, in milliseconds (Date.now). Tests pass their own. */
  now?: () => number;
}

/** Issues, checks and revokes session tokens. */
export class SessionStore {
  readonly ttlMs: number;
  // TODO: keep the clock, the cap, and a Map from the token's SHA-256 (hex) to
  // { user, expiresAt }. Never the token itself.

  constructor(options: SessionOptions = {}) {
    this.ttlMs = options.ttlMs ?? 3_600_000;
  }

  /** A new token for `user`, valid for ttlMs. */
  issue(user: string): { token: string; expiresAt: number } {
    // TODO: randomBytes(TOKEN_BYTES).toString('base64url'); drop the oldest over maxSessions.
    throw new Error('TODO: write SessionStore.issue (task 6 in lessons/07-login/README.md)');
  }

  /** The user a token belongs to, or undefined if it is malformed, unknown, expired or revoked. */
  check(token: string): string | undefined {
    throw new Error('TODO: write SessionStore.check (task 6 in lessons/07-login/README.md)');
  }

  /** Ends one session; true if it was live. */
  revoke(token: string): boolean {
    throw new Error('TODO: write SessionStore.revoke (task 6 in lessons/07-login/README.md)');
  }

  /** Ends every session of `user` (say, after a password change); returns how many. */
  revokeUser(user: string): number {
    throw new Error('TODO: write SessionStore.revokeUser (task 6 in lessons/07-login/README.md)');
  }
}
