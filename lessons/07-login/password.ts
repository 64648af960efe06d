// Lesson 07, task 1: store passwords with scrypt, a salt per user.
//
// Say your user file leaks. With the tutorial's MD5 and its one fixed salt,
// a GPU tries billions of guesses per second, and two users with the same
// password have the same line. scrypt is slow on purpose and needs memory
// (hard to do in parallel on a GPU), and a random salt per user makes every
// record different. The stored string names its own parameters, so they
// can be raised later without breaking old records.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt's cost: N = 2^ln (CPU and memory), r (block size), p (parallelism). */
export interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

/** OWASP's scrypt parameters: N = 2^17 (128 MiB of memory), r = 8, p = 1. */
export const DEFAULT_PARAMS: ScryptParams = { ln: 17, r: 8, p: 1 };
export const SALT_BYTES = 16;
export const HASH_BYTES = 32;

/** A stored string, taken apart. */
export interface ScryptRecord {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

/** What scrypt needs: 128 * N * r bytes, twice that to leave headroom (Node's default cap is 32 MiB). */
export function scryptMaxmem({ ln, r }: ScryptParams): number {
  return 2 * 128 * 2 ** ln * r;
}

/** The UTF-8 bytes of `password` in Unicode NFC, so "é" typed either way is one password. */
export function passwordBytes(password: string): Buffer {
  return Buffer.from(password.normalize('NFC'), 'utf8');
}

/** Runs scrypt on the libuv thread pool (never scryptSync: it would stop every connection). */
export function deriveKey(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // TODO: wrap crypto.scrypt (the callback one) in a Promise: passwordBytes(password),
  // salt, HASH_BYTES, and options { N: 2 ** params.ln, r, p, maxmem: scryptMaxmem(params) }.
  throw new Error('TODO: write deriveKey (task 1 in lessons/07-login/README.md)');
}

/**
 * Hashes `password` with a fresh random salt and returns the stored string
 * `$scrypt$ln=<ln>,r=<r>,p=<p>$<salt>$<hash>` (salt and hash in base64
 * without padding: 22 and 43 characters).
 */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  // TODO: randomBytes(SALT_BYTES) for the salt, deriveKey for the hash, then
  // the string, with base64 that has its trailing '=' removed.
  throw new Error('TODO: write hashPassword (task 1 in lessons/07-login/README.md)');
}

/**
 * Takes a stored string apart, or returns null if it is not one this code
 * wrote (or its parameters are outside sane bounds: a record must not make
 * the server allocate gigabytes).
 */
export function parseRecord(stored: string): ScryptRecord | null {
  // TODO: match /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/,
  // check 1 <= ln <= 20, 1 <= r <= 32, 1 <= p <= 16, a 16-byte salt and a 32-byte hash.
  throw new Error('TODO: write parseRecord (task 1 in lessons/07-login/README.md)');
}

/**
 * True if `password` matches the stored string. Recomputes the hash with the
 * record's own salt and parameters and compares in constant time. Throws if
 * `stored` is not an scrypt record.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  // TODO: parseRecord (throw if null), deriveKey with its salt and params,
  // then timingSafeEqual(candidate, record.hash).
  throw new Error('TODO: write verifyPassword (task 1 in lessons/07-login/README.md)');
}
