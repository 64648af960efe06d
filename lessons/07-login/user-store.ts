// Lesson 07, task 2: a user store that survives a crash.
//
// Say the server is killed while it rewrites the tutorial's user file in
// place: the file is left half written, and every account is gone. So the
// new contents go to a temporary file first; only a complete, flushed file
// takes the real name (rename replaces it in one step), and then the
// folder is flushed so the new name is on disk too. Writes also go one at
// a time: two registrations at once must both land.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** What the store keeps per user: the stored password string. */
export interface UserRecord {
  hash: string;
}

/** The store file is not what this code writes. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/**
 * Users kept in a JSON file `{"users":{"<name>":{"hash":"..."}}}`. Reads come
 * from memory; every change is written to disk before its promise resolves.
 */
export class UserStore {
  readonly path: string;
  // TODO: keep the users in a Map (not a plain object: "constructor" is not a user),
  // and a promise that is the tail of the queue of writes.

  private constructor(path: string) {
    this.path = path;
  }

  /** Opens the store at `path`: empty if the file does not exist; StoreError if it is not a store. */
  static async open(path: string): Promise<UserStore> {
    // TODO: readFile; ENOENT means an empty store; JSON.parse and check the shape,
    // throwing StoreError (and never writing) when it is not a store.
    throw new Error('TODO: write UserStore.open (task 2 in lessons/07-login/README.md)');
  }

  /** The record of `name`, or undefined. */
  get(name: string): UserRecord | undefined {
    throw new Error('TODO: write UserStore.get (task 2 in lessons/07-login/README.md)');
  }

  /** How many users there are. */
  get size(): number {
    throw new Error('TODO: write UserStore.size (task 2 in lessons/07-login/README.md)');
  }

  /** Adds `name`; resolves true once it is on disk, or false if the name is taken (nothing written). */
  add(name: string, record: UserRecord): Promise<boolean> {
    // TODO: queue the change after the previous one; in the queue, check the
    // name, write a copy of the users atomically, and only then keep the copy.
    throw new Error('TODO: write UserStore.add (task 2 in lessons/07-login/README.md)');
  }

  /** Replaces the record of an existing user (a rehash); resolves once it is on disk. */
  replace(name: string, record: UserRecord): Promise<void> {
    throw new Error('TODO: write UserStore.replace (task 2 in lessons/07-login/README.md)');
  }
}

// #region write-atomically
/** Writes `text` to `path` so that a crash leaves either the old file or the new one. */
async function writeAtomically(path: string, text: string): Promise<void> {
  // TODO: open a temporary file next to `path` with 'wx', write, sync(), close;
  // rename it to `path`; then open the folder with 'r', sync() and close it.
  throw new Error('TODO: write writeAtomically (task 2 in lessons/07-login/README.md)');
}
// #endregion write-atomically
