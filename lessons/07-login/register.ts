// Lesson 07, task 3: registration with input limits.
//
// Say someone registers with a 1 MiB password. scrypt would hash all of it,
// and a few such requests keep the server busy. Or a name like "Alice"
// next to "alice" fools the people reading it. So every input is checked
// against exact limits first, and refused before any hashing.
import type { RegisterRefusal } from './protocol.ts';
import { passwordBytes } from './password.ts';
import type { UserStore } from './user-store.ts';

/** 3 to 32 characters: lower-case ASCII letters, digits, `_`, `.` and `-`, starting with a letter or digit. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{2,31}$/;
export const MIN_PASSWORD_BYTES = 8;
export const MAX_PASSWORD_BYTES = 1024;

/** What a registration's input check says. */
export type CheckResult =
  | { ok: true; user: string; password: string }
  | { ok: false; error: Exclude<RegisterRefusal, 'taken'> };

/** Turns a password into its stored string (scrypt, in the real server; a counting fake in tests). */
export type Hasher = (password: string) => Promise<string>;

/**
 * Checks a registration's user name and password against the limits, and
 * returns the password in NFC (the form that gets hashed). Never hashes,
 * never truncates: a password over the limit is refused, not cut.
 */
export function checkRegistration(user: string, password: string): CheckResult {
  // TODO: USERNAME_PATTERN, then the password's length in UTF-8 bytes after
  // NFC (passwordBytes), against MIN_PASSWORD_BYTES and MAX_PASSWORD_BYTES.
  throw new Error('TODO: write checkRegistration (task 3 in lessons/07-login/README.md)');
}

/**
 * Registers `user`: checks the input, hashes the password, adds the user.
 * Resolves `{ ok: true }`, or `{ ok: false, error }` with the reason.
 * When two registrations race for one name, the store decides: exactly one
 * wins, the other gets 'taken'.
 */
export async function registerUser(
  store: UserStore,
  hash: Hasher,
  user: string,
  password: string,
): Promise<{ ok: true } | { ok: false; error: RegisterRefusal }> {
  // TODO: checkRegistration first (no hash for refused input), then hash,
  // then store.add: its false means 'taken'.
  throw new Error('TODO: write registerUser (task 3 in lessons/07-login/README.md)');
}
