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

/**
 * The tutorial's record: the client sends md5(password + user) in hex, and
 * the server stores md5(salt + that hex), in hex. Kept only to read old files.
 */
export function legacyRecord(user: string, password: string): string {
  // TODO: createHash('md5') twice, as the comment above says, hex digests.
  throw new Error('TODO: write legacyRecord (task 4 in lessons/07-login/README.md)');
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
  // TODO: 32 lower-case hex digits is legacy: compare legacyRecord's bytes with
  // timingSafeEqual. Else parseRecord (throw if null) and verifyPassword.
  // On a match, hashPassword(password, params) when legacy or params differ.
  throw new Error('TODO: write checkPassword (task 4 in lessons/07-login/README.md)');
}
