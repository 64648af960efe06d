// Given: the login protocol's messages and limits, complete. You do not edit
// this file. README.md, "Wire format", says the same in bytes.
import { encodeFrame } from './frame.ts';

/** The largest request payload the server reads, in bytes. */
export const MAX_REQUEST_BYTES = 4096;
/** The largest reply payload a client reads, in bytes. */
export const MAX_REPLY_BYTES = 4096;

/**
 * Password hashes running at once, over the whole server, logins and
 * registrations together; one more request gets 'busy'. 4 is the size of
 * libuv's thread pool, where crypto.scrypt runs: a fifth would only wait.
 */
export const MAX_HASHES_IN_FLIGHT = 4;

/**
 * Registrations from one source address (options of an AttemptLimiter):
 * 3 at once, then a wait of 1 s, doubled after each one up to 10 minutes;
 * an address quiet for an hour starts afresh. Every registration counts.
 */
export const REGISTRATION_LIMITS = {
  freeFailures: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 600_000,
  forgetAfterMs: 3_600_000,
} as const;

export type Request =
  | { op: 'register'; user: string; password: string }
  | { op: 'login'; user: string; password: string }
  | { op: 'whoami'; token: string }
  | { op: 'logout'; token: string };

export type RegisterRefusal = 'bad-username' | 'password-too-short' | 'password-too-long' | 'taken';

export type Reply =
  | { ok: true }
  | { ok: true; token: string; expiresInMs: number }
  | { ok: true; user: string }
  | { ok: false; error: RegisterRefusal }
  | { ok: false; error: 'login-failed'; attemptsLeft: number; retryAfterMs: number }
  | { ok: false; error: 'try-later'; retryAfterMs: number }
  | { ok: false; error: 'bad-token' }
  | { ok: false; error: 'bad-request' | 'too-big' | 'timeout' | 'busy' };

/**
 * One message as a frame: JSON.stringify (no spaces, keys in the order the
 * object has them), UTF-8, then the u32be length in front.
 */
export function encodeMessage(message: Reply | Request): Buffer {
  return encodeFrame(JSON.stringify(message));
}
