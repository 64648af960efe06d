import { spawn } from 'node:child_process';
import fs, { existsSync, fstatSync, readdirSync } from 'node:fs';
import fsp, { open, readFile, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useTempDirs, withDeadline } from '../../runner/kit/index.ts';
import { type UserRecord, UserStore } from './user-store.ts';

const tempDir = useTempDirs('wb07-store-');
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function storing<T>(promise: Promise<T>, what = 'the store'): Promise<T> {
  return withDeadline(promise, { ms: 5_000, message: `${what} never finished` });
}

async function freshStore(): Promise<{ dir: string; path: string; store: UserStore }> {
  const dir = await tempDir();
  const path = join(dir, 'users.json');
  return { dir, path, store: await storing(UserStore.open(path), 'UserStore.open') };
}

afterEach(() => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
});

describe('Task 2: a user store that survives a crash', () => {
  it('starts empty when the file does not exist, and keeps what was added after a reopen', async () => {
    const { path, store } = await freshStore();
    expect(store.get('alice'), 'a user in a new store').toBeUndefined();
    expect(await storing(store.add('alice', { hash: 'H1' })), 'adding a new user resolves true').toBe(true);
    expect(store.get('alice'), 'the user right after add').toEqual({ hash: 'H1' });
    const reopened = await storing(UserStore.open(path), 'UserStore.open');
    expect(reopened.get('alice'), 'the user after reopening the file').toEqual({ hash: 'H1' });
    expect(JSON.parse(await readFile(path, 'utf8')), 'the file').toEqual({ users: { alice: { hash: 'H1' } } });
  });

  it('refuses a name that is taken, and changes nothing', async () => {
    const { path, store } = await freshStore();
    await storing(store.add('alice', { hash: 'H1' }));
    const before = await readFile(path, 'utf8');
    expect(await storing(store.add('alice', { hash: 'H2' })), 'adding "alice" twice resolves false').toBe(false);
    expect(store.get('alice'), 'the first record stays').toEqual({ hash: 'H1' });
    expect(await readFile(path, 'utf8'), 'the file').toBe(before);
  });

  it('knows no user named "constructor" or "__proto__" (a Map, not a plain object)', async () => {
    const { store } = await freshStore();
    expect(store.get('constructor'), 'get("constructor") in an empty store').toBeUndefined();
    expect(store.get('__proto__'), 'get("__proto__") in an empty store').toBeUndefined();
    expect(await storing(store.add('constructor', { hash: 'H' })), 'adding "constructor"').toBe(true);
  });

  it('replaces the record of an existing user (for a rehash)', async () => {
    const { path, store } = await freshStore();
    await storing(store.add('alice', { hash: 'old' }));
    await storing(store.replace('alice', { hash: 'new' }));
    expect((await UserStore.open(path)).get('alice'), 'the record after replace and reopen').toEqual({ hash: 'new' });
  });

  it('lands twenty registrations made at once, one write at a time', async () => {
    const { dir, store } = await freshStore();
    // At each rename, list the folder: a second temporary file means two writes overlapped.
    let mostTemps = 0;
    const rename = fsp.rename;
    vi.spyOn(fsp, 'rename').mockImplementation((from, to) => {
      mostTemps = Math.max(mostTemps, readdirSync(dir).filter((f) => f !== 'users.json').length);
      return rename(from, to);
    });
    syncBuiltinESMExports();
    const names = Array.from({ length: 20 }, (_, i) => `user${i}`);
    const results = await storing(Promise.all(names.map((n) => store.add(n, { hash: `H${n}` }))), 'twenty adds');
    expect(results, 'every add of a new name resolves true').toEqual(names.map(() => true));
    const reopened = await UserStore.open(join(dir, 'users.json'));
    const missing = names.filter((n) => reopened.get(n) === undefined);
    expect(missing, 'users missing from the file after twenty adds at once').toEqual([]);
    expect(mostTemps, 'temporary files present at once: write them one after another (a queue)').toBe(1);
  });

  it('lets exactly one of two registrations racing for one name win', async () => {
    const { path, store } = await freshStore();
    const results = await storing(Promise.all([store.add('bob', { hash: 'A' }), store.add('bob', { hash: 'B' })]));
    expect(results.filter(Boolean).length, `add("bob") twice at once resolved ${results.join(' and ')}`).toBe(1);
    const winner = results[0] ? 'A' : 'B';
    expect((await UserStore.open(path)).get('bob'), 'the record on disk is the winner').toEqual({ hash: winner });
  });

  it('fsyncs the temporary file before it takes the name, and the folder after', async () => {
    const { dir, path, store } = await freshStore();
    await storing(store.add('alice', { hash: 'H1' }));
    const calls: Array<{ what: 'file' | 'folder'; newInPlace: boolean }> = [];
    const note = async (fd: number): Promise<void> => {
      const inPlace = existsSync(path) ? (await readFile(path, 'utf8')).includes('"bob"') : false;
      calls.push({ what: fstatSync(fd).isDirectory() ? 'folder' : 'file', newInPlace: inPlace });
    };
    const probe = await open(path, 'r');
    const proto = Object.getPrototypeOf(probe) as Record<'sync' | 'datasync', (this: { fd: number }) => Promise<void>>;
    await probe.close();
    for (const method of ['sync', 'datasync'] as const) {
      const original = proto[method];
      vi.spyOn(proto, method).mockImplementation(async function (this: { fd: number }) {
        await note(this.fd);
        return original.call(this);
      });
    }
    const fsFunctions = fs as unknown as Record<string, (fd: number, ...rest: unknown[]) => unknown>;
    for (const name of ['fsyncSync', 'fdatasyncSync']) {
      const original = fsFunctions[name]!;
      vi.spyOn(fsFunctions, name).mockImplementation((fd: number, ...rest: unknown[]) => {
        void note(fd);
        return original(fd, ...rest);
      });
    }
    syncBuiltinESMExports();
    await storing(store.add('bob', { hash: 'H2' }));
    const fileSync = calls.find((c) => c.what === 'file');
    const folderSync = calls.find((c) => c.what === 'folder');
    expect(fileSync, 'no fsync of the new file: its bytes may not be on disk when it takes the name').toBeDefined();
    expect(fileSync!.newInPlace, 'the file was fsynced after it took the name: fsync the temporary file first').toBe(
      false,
    );
    expect(folderSync, 'no fsync of the folder: the rename itself may be lost in a crash').toBeDefined();
    expect(folderSync!.newInPlace, 'the folder was fsynced before the rename: fsync it after').toBe(true);
    expect(readdirSync(dir).sort(), 'the folder after the write: no temporary file left').toEqual(['users.json']);
  });

  it('loses nothing when a write fails: memory and file stay as they were, and the next write works', async () => {
    const { path, store } = await freshStore();
    await storing(store.add('alice', { hash: 'H1' }));
    const before = await readFile(path, 'utf8');
    vi.spyOn(fsp, 'rename').mockRejectedValueOnce(
      Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' }),
    );
    syncBuiltinESMExports();
    const failed = await storing(store.add('bob', { hash: 'H2' })).then(
      () => 'resolved',
      () => 'rejected',
    );
    expect(failed, 'add() when the write fails').toBe('rejected');
    expect(store.get('bob'), 'a user whose write failed must not be in memory either').toBeUndefined();
    expect(await readFile(path, 'utf8'), 'the file after a failed write').toBe(before);
    vi.restoreAllMocks();
    syncBuiltinESMExports();
    expect(await storing(store.add('carol', { hash: 'H3' })), 'the next add after a failed one').toBe(true);
  });

  it('refuses to open a file that is not a store, and leaves it as it was', async () => {
    const dir = await tempDir();
    const path = join(dir, 'users.json');
    await writeFile(path, 'alice|5f4dcc3b5aa765d61d8327deb882cf99\n');
    const outcome = await storing(UserStore.open(path)).then(
      () => 'opened',
      (err: Error) => {
        if (/^TODO/.test(err.message)) throw err;
        return err.name;
      },
    );
    expect(outcome, 'opening a file that is not JSON must reject with a StoreError').toBe('StoreError');
    expect(await readFile(path, 'utf8'), 'the file after the refused open').toBe(
      'alice|5f4dcc3b5aa765d61d8327deb882cf99\n',
    );
  });

  it('keeps the previous store whole when the process is killed in the middle of a write', async () => {
    const modulePath = await modulePathOf((await freshStore()).store);
    const dir = await tempDir();
    const path = join(dir, 'users.json');
    // A store with many users: a write cut short would show.
    const seed: Record<string, UserRecord> = {};
    for (let i = 0; i < 2_000; i++) seed[`seed${i}`] = { hash: `$scrypt$ln=17,r=8,p=1$${'A'.repeat(22)}$${i}` };
    await writeFile(path, JSON.stringify({ users: seed }));
    const child = join(dir, 'writer.mjs');
    await writeFile(child, writerScript(modulePath, path));
    const proc = spawn(process.execPath, ['--import', 'tsx', child], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const exited = new Promise((resolve) => proc.once('close', resolve));
    await withDeadline(
      new Promise<void>((resolve) => {
        proc.stdout.setEncoding('utf8').on('data', (s: string) => {
          out += s;
          // Two writes done, the third one's bytes going out: kill it now, without warning.
          const saved = out.indexOf('saved 1\n');
          if (saved >= 0 && out.includes('writing\n', saved)) {
            proc.kill('SIGKILL');
            resolve();
          }
        });
        proc.once('close', () => resolve());
      }),
      { ms: 20_000, message: () => `the child writing the store never saved twice (stderr: ${err.slice(0, 300)})` },
    ).finally(() => proc.kill('SIGKILL'));
    await exited;
    expect(out, `the child stopped before two saves (stderr: ${err.slice(0, 300)})`).toContain('saved 1\n');
    const text = await readFile(path, 'utf8');
    let users: Record<string, unknown> = {};
    try {
      users = (JSON.parse(text) as { users: Record<string, unknown> }).users;
    } catch {
      expect.fail(`after the kill, users.json is not whole JSON (${text.length} bytes): it was written in place`);
    }
    expect(Object.keys(users).length, 'users in the file after the kill').toBeGreaterThanOrEqual(2_002);
    expect(users.seed1999, 'the last seeded user after the kill').toBeDefined();
    expect(users.new1, 'the second saved user after the kill').toBeDefined();
  }, 30_000);
});

/**
 * The child process for the crash test: it slows every write down (a slow
 * disk), says "writing" as each one starts, and adds users in a loop. The
 * test kills it at a "writing": in the middle of a write, every time.
 */
function writerScript(modulePath: string, storePath: string): string {
  return `
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
// A timer is the point here: it holds each write open, as a slow disk would.
const pause = () => { process.stdout.write('writing\\n'); return new Promise((r) => setTimeout(r, 200)); };
const probe = await fsp.open(${JSON.stringify(storePath)}, 'r');
const handle = Object.getPrototypeOf(probe);
await probe.close();
for (const name of ['write', 'writeFile', 'writev']) {
  const original = handle[name];
  handle[name] = async function (...args) { await pause(); return original.apply(this, args); };
}
const writeFile = fsp.writeFile;
fsp.writeFile = async (file, data, options) => {
  if (typeof file !== 'string' && !(file instanceof URL)) { await pause(); return writeFile(file, data, options); }
  const h = await fsp.open(file, typeof options === 'object' && options?.flag ? options.flag : 'w');
  try { await h.writeFile(data, options); } finally { await h.close(); }
};
syncBuiltinESMExports();
const { UserStore } = await import(${JSON.stringify(pathToFileURL(modulePath).href)});
const store = await UserStore.open(${JSON.stringify(storePath)});
for (let i = 0; i < 1000; i++) {
  await store.add('new' + i, { hash: 'H' + i });
  process.stdout.write('saved ' + i + '\\n');
}
`;
}

/**
 * The file the store's code is in. The tests run your user-store.ts (or the
 * reference one) wherever it is; a child process needs its path. A getter
 * on the record sees who reads it: the stack names the file.
 */
async function modulePathOf(store: UserStore): Promise<string> {
  let stack = '';
  const record = {
    get hash(): string {
      stack ||= new Error('probe').stack ?? '';
      return 'probe';
    },
  };
  await storing(store.add('probe', record));
  const match = /(\/[^\s():]*\/07-[^/\s():]+\/user-store\.ts)/.exec(stack);
  if (!match) throw new Error('could not find where user-store.ts is: does add() read the record it is given?');
  return match[1]!;
}
