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

interface Session {
  user: string;
  expiresAt: number;
}

/** Issues, checks and revokes session tokens. */
export class SessionStore {
  readonly ttlMs: number;
  readonly #maxSessions: number;
  readonly #now: () => number;
  // Keyed by the token's SHA-256 in hex, never by the token itself.
  readonly #sessions = new Map<string, Session>();

  constructor(options: SessionOptions = {}) {
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.#maxSessions = options.maxSessions ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** A new token for `user`, valid for ttlMs. */
  issue(user: string): { token: string; expiresAt: number } {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const expiresAt = this.#now() + this.ttlMs;
    this.#sessions.set(digest(token), { user, expiresAt });
    while (this.#sessions.size > this.#maxSessions) this.#sessions.delete(this.#sessions.keys().next().value!);
    return { token, expiresAt };
  }

  /** The user a token belongs to, or undefined if it is malformed, unknown, expired or revoked. */
  check(token: string): string | undefined {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const key = digest(token);
    const session = this.#sessions.get(key);
    if (!session) return undefined;
    if (this.#now() >= session.expiresAt) {
      this.#sessions.delete(key);
      return undefined;
    }
    return session.user;
  }

  /** Ends one session; true if it was live. */
  revoke(token: string): boolean {
    if (!TOKEN_PATTERN.test(token)) return false;
    const key = digest(token);
    const live = this.check(token) !== undefined;
    this.#sessions.delete(key);
    return live;
  }

  /** Ends every session of `user` (say, after a password change); returns how many. */
  revokeUser(user: string): number {
    let count = 0;
    for (const [key, session] of this.#sessions) {
      if (session.user !== user) continue;
      this.#sessions.delete(key);
      count += 1;
    }
    return count;
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
