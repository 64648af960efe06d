// Lesson 07, task 4: upgrade old records when their owner logs in.
//
// Say your server takes over the tutorial's user file: 32 hex digits of MD5
// per user, one fixed salt. You cannot turn those into scrypt records, since
// you do not have the passwords. But at each user's next login you do: check
// the password the old way once, and store a fresh scrypt record. The same
// step raises the cost of scrypt records made with older parameters.
import { createHash, timingSafeEqual } from 'node:crypto';
import { type ScryptParams, hashPassword, parseRecord, verifyPassword } from './password.ts';

/** The tutorial's fixed salt, the same for every user. */
export const LEGACY_SALT = 'wusir';
const LEGACY_RECORD = /^[0-9a-f]{32}$/;

/**
 * The tutorial's record: the client sends md5(password + user) in hex, and
 * the server stores md5(salt + that hex), in hex. Kept only to read old files.
 */
export function legacyRecord(user: string, password: string): string {
  const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');
  return md5(LEGACY_SALT + md5(password + user));
}

/** Whether the password matched, and the new stored string to save when the record should be upgraded. */
export interface CheckOutcome {
  ok: boolean;
  rehash?: string;
}

/**
 * Checks `password` against `stored`, an scrypt record or a legacy MD5 one.
 * On a match, `rehash` is a new scrypt record with `params` when `stored` is
 * legacy or was made with other parameters. Throws on a record of neither kind.
 */
export async function checkPassword(
  user: string,
  password: string,
  stored: string,
  params: ScryptParams,
): Promise<CheckOutcome> {
  if (LEGACY_RECORD.test(stored)) {
    const candidate = Buffer.from(legacyRecord(user, password), 'hex');
    if (!timingSafeEqual(candidate, Buffer.from(stored, 'hex'))) return { ok: false };
    return { ok: true, rehash: await hashPassword(password, params) };
  }
  const record = parseRecord(stored);
  if (!record) throw new Error(`the record of ${JSON.stringify(user)} is neither scrypt nor legacy MD5`);
  if (!(await verifyPassword(password, stored))) return { ok: false };
  const same = record.params.ln === params.ln && record.params.r === params.r && record.params.p === params.p;
  return same ? { ok: true } : { ok: true, rehash: await hashPassword(password, params) };
}
