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
  if (!USERNAME_PATTERN.test(user)) return { ok: false, error: 'bad-username' };
  // Cheap bound first: each UTF-16 unit is at least one UTF-8 byte, and NFC
  // of a string at most triples it, so no huge string gets normalized.
  if (password.length > MAX_PASSWORD_BYTES) return { ok: false, error: 'password-too-long' };
  const bytes = passwordBytes(password).length;
  if (bytes < MIN_PASSWORD_BYTES) return { ok: false, error: 'password-too-short' };
  if (bytes > MAX_PASSWORD_BYTES) return { ok: false, error: 'password-too-long' };
  return { ok: true, user, password: password.normalize('NFC') };
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
  const checked = checkRegistration(user, password);
  if (!checked.ok) return checked;
  // Saves a hash when the name is surely taken; add() below is what decides.
  if (store.get(checked.user)) return { ok: false, error: 'taken' };
  const stored = await hash(checked.password);
  const added = await store.add(checked.user, { hash: stored });
  return added ? { ok: true } : { ok: false, error: 'taken' };
}
