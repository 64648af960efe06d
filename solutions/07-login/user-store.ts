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
  // A Map, not a plain object: a user named "constructor" must not find Object's.
  #users: Map<string, UserRecord>;
  // The tail of the queue of writes: each change starts after the one before.
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, users: Map<string, UserRecord>) {
    this.path = path;
    this.#users = users;
  }

  /** Opens the store at `path`: empty if the file does not exist; StoreError if it is not a store. */
  static async open(path: string): Promise<UserStore> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new UserStore(path, new Map());
      throw err;
    }
    return new UserStore(path, parseStore(text, path));
  }

  /** The record of `name`, or undefined. */
  get(name: string): UserRecord | undefined {
    return this.#users.get(name);
  }

  /** How many users there are. */
  get size(): number {
    return this.#users.size;
  }

  /** Adds `name`; resolves true once it is on disk, or false if the name is taken (nothing written). */
  add(name: string, record: UserRecord): Promise<boolean> {
    return this.#change((users) => {
      if (users.has(name)) return false;
      users.set(name, { hash: record.hash });
      return true;
    });
  }

  /** Replaces the record of an existing user (a rehash); resolves once it is on disk. */
  replace(name: string, record: UserRecord): Promise<void> {
    return this.#change((users) => {
      if (!users.has(name)) throw new StoreError(`no user ${JSON.stringify(name)} to replace`);
      users.set(name, { hash: record.hash });
    });
  }

  /**
   * Queues one change: applies `edit` to a copy of the users, writes the copy
   * atomically, and only then makes it the store's state. A failed write
   * leaves memory and disk as they were.
   */
  #change<T>(edit: (users: Map<string, UserRecord>) => T): Promise<T> {
    const run = async (): Promise<T> => {
      const next = new Map(this.#users);
      const result = edit(next);
      if (result === false) return result;
      await writeAtomically(this.path, serialize(next));
      this.#users = next;
      return result;
    };
    const done = this.#queue.then(run, run);
    this.#queue = done.catch(() => {}); // one failed write must not block the next
    return done;
  }
}

// #region write-atomically
/** Writes `text` to `path` so that a crash leaves either the old file or the new one. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(temp, 'wx');
  try {
    try {
      await file.writeFile(text, 'utf8');
      await file.sync(); // the bytes are on disk before any name points at them
    } finally {
      await file.close();
    }
    await rename(temp, path); // one step: readers see the old file or the new one
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  // The rename is a change to the folder: flush it too (POSIX; Windows cannot open a folder).
  if (process.platform !== 'win32') {
    const folder = await open(dirname(path), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }
}
// #endregion write-atomically

function serialize(users: Map<string, UserRecord>): string {
  const object: Record<string, UserRecord> = {};
  for (const [name, record] of users) Object.defineProperty(object, name, { value: record, enumerable: true });
  return `${JSON.stringify({ users: object }, null, 2)}\n`;
}

function parseStore(text: string, path: string): Map<string, UserRecord> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new StoreError(`${path} is not valid JSON (${(err as Error).message}); it was left as it is`);
  }
  const users = (parsed as { users?: unknown } | null)?.users;
  if (typeof users !== 'object' || users === null || Array.isArray(users)) {
    throw new StoreError(`${path} has no "users" object; it was left as it is`);
  }
  const map = new Map<string, UserRecord>();
  for (const [name, record] of Object.entries(users)) {
    const hash = (record as { hash?: unknown } | null)?.hash;
    if (typeof hash !== 'string') throw new StoreError(`${path}: user ${JSON.stringify(name)} has no "hash" string`);
    map.set(name, { hash });
  }
  return map;
}
