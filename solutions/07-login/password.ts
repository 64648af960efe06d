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

// Standard base64 (A-Z a-z 0-9 + /) without the `=` padding, as PHC strings use.
const B64 = '[A-Za-z0-9+/]+';
const RECORD = new RegExp(`^\\$scrypt\\$ln=(\\d{1,2}),r=(\\d{1,2}),p=(\\d{1,2})\\$(${B64})\\$(${B64})$`);

/** The UTF-8 bytes of `password` in Unicode NFC, so "é" typed either way is one password. */
export function passwordBytes(password: string): Buffer {
  return Buffer.from(password.normalize('NFC'), 'utf8');
}

/** Runs scrypt on the libuv thread pool (never scryptSync: it would stop every connection). */
export function deriveKey(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const options = { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: scryptMaxmem(params) };
    scrypt(passwordBytes(password), salt, HASH_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * Hashes `password` with a fresh random salt and returns the stored string
 * `$scrypt$ln=<ln>,r=<r>,p=<p>$<salt>$<hash>` (salt and hash in base64
 * without padding: 22 and 43 characters).
 */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveKey(password, salt, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}

/**
 * Takes a stored string apart, or returns null if it is not one this code
 * wrote (or its parameters are outside sane bounds: a record must not make
 * the server allocate gigabytes).
 */
export function parseRecord(stored: string): ScryptRecord | null {
  const match = RECORD.exec(stored);
  if (!match) return null;
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (ln < 1 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  const salt = Buffer.from(match[4]!, 'base64');
  const hash = Buffer.from(match[5]!, 'base64');
  if (salt.length !== SALT_BYTES || hash.length !== HASH_BYTES) return null;
  return { params: { ln, r, p }, salt, hash };
}

/**
 * True if `password` matches the stored string. Recomputes the hash with the
 * record's own salt and parameters and compares in constant time. Throws if
 * `stored` is not an scrypt record.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const record = parseRecord(stored);
  if (!record) throw new Error('not an scrypt record: expected $scrypt$ln=..,r=..,p=..$<salt>$<hash>');
  const candidate = await deriveKey(password, record.salt, record.params);
  return timingSafeEqual(candidate, record.hash);
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
