import fs, { existsSync, fstatSync } from 'node:fs';
import { mkdir, open, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { snapshotTree, useTempDirs, withDeadline } from '../../runner/kit/index.ts';
import { commitFile } from './commit-file.ts';

const tempDir = useTempDirs('wb04-commit-');

/** A folder with a complete temporary file in it, ready to commit. */
async function staged(content = 'the checked body') {
  const root = join(await tempDir(), 'inbox');
  await mkdir(root);
  const tempPath = join(root, '.upload-test.tmp');
  await writeFile(tempPath, content);
  return { root, tempPath, finalPath: join(root, 'report.txt'), content };
}

function committing(promise: Promise<void>): Promise<void> {
  return withDeadline(promise, { message: 'commitFile never finished' });
}

/**
 * Records every fsync (or fdatasync) made while `run` runs, through a
 * FileHandle or through node:fs: whether it was a file or a folder, and
 * whether the final name existed at that moment.
 */
async function recordSyncs(
  finalPath: string,
  someFile: string,
  run: () => Promise<void>,
): Promise<Array<{ what: 'file' | 'folder'; finalExisted: boolean }>> {
  const calls: Array<{ what: 'file' | 'folder'; finalExisted: boolean }> = [];
  const note = (fd: number): void =>
    void calls.push({ what: fstatSync(fd).isDirectory() ? 'folder' : 'file', finalExisted: existsSync(finalPath) });
  const probe = await open(someFile, 'r'); // any FileHandle, to reach their shared prototype
  const handleProto = Object.getPrototypeOf(probe) as Record<
    'sync' | 'datasync',
    (this: { fd: number }) => Promise<void>
  >;
  await probe.close();
  for (const method of ['sync', 'datasync'] as const) {
    const original = handleProto[method];
    vi.spyOn(handleProto, method).mockImplementation(function (this: { fd: number }) {
      note(this.fd);
      return original.call(this);
    });
  }
  const fsFunctions = fs as unknown as Record<string, (fd: number, ...rest: unknown[]) => unknown>;
  for (const name of ['fsync', 'fdatasync', 'fsyncSync', 'fdatasyncSync']) {
    const original = fsFunctions[name]!;
    vi.spyOn(fsFunctions, name).mockImplementation((fd: number, ...rest: unknown[]) => {
      note(fd);
      return original(fd, ...rest);
    });
  }
  syncBuiltinESMExports(); // so that `import { fsync } from 'node:fs'` sees the spies too
  try {
    await run();
  } finally {
    vi.restoreAllMocks();
    syncBuiltinESMExports();
  }
  return calls;
}

afterEach(() => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
});

describe('Task 6: commit the file atomically, never replacing one', () => {
  it('gives the temporary file its final name, with its content, and removes the temporary name', async () => {
    const { root, tempPath, finalPath, content } = await staged();
    await committing(commitFile(tempPath, finalPath));
    expect(await readFile(finalPath, 'utf8'), 'the committed file').toBe(content);
    expect(await readdir(root), 'the folder after the commit: only the final name, no temporary file').toEqual([
      'report.txt',
    ]);
  });

  it('refuses with code exists, and changes nothing, when the final name is taken', async () => {
    const { root, tempPath, finalPath } = await staged('new bytes');
    await writeFile(finalPath, 'precious old bytes');
    const before = await snapshotTree(root);
    await expect(
      committing(commitFile(tempPath, finalPath)),
      "commitFile must reject with a TransferError with code 'exists'",
    ).rejects.toMatchObject({
      code: 'exists',
    });
    expect(await readFile(finalPath, 'utf8'), 'the existing file must never be replaced').toBe('precious old bytes');
    expect(await snapshotTree(root), 'the folder must be as it was (the caller removes the temporary file)').toEqual(
      before,
    );
  });

  it.skipIf(process.platform === 'win32')(
    'does not write through a symlink that holds the final name, even a dangling one',
    async () => {
      const { root, tempPath, finalPath } = await staged();
      const elsewhere = join(root, '..', 'elsewhere.txt');
      await symlink(elsewhere, finalPath);
      await expect(committing(commitFile(tempPath, finalPath))).rejects.toMatchObject({ code: 'exists' });
      expect(existsSync(elsewhere), 'a file appeared where the symlink points').toBe(false);
    },
  );

  it('fsyncs the file before it has its name, and the folder after', async () => {
    const { tempPath, finalPath } = await staged();
    const calls = await recordSyncs(finalPath, tempPath, () => committing(commitFile(tempPath, finalPath)));
    const fileSyncs = calls.filter((c) => c.what === 'file');
    expect(fileSyncs.length, 'commitFile must fsync the file (FileHandle.sync() or fs.fsync)').toBeGreaterThan(0);
    expect(
      fileSyncs.some((c) => !c.finalExisted),
      'the file must be fsynced before the final name points at it',
    ).toBe(true);
    if (process.platform !== 'win32') {
      const folderSyncs = calls.filter((c) => c.what === 'folder');
      expect(
        folderSyncs.length,
        'commitFile must fsync the folder after naming the file (open the folder, then sync)',
      ).toBeGreaterThan(0);
      expect(folderSyncs.at(-1)!.finalExisted, 'the folder must be fsynced after the final name exists').toBe(true);
    }
  });

  it('fails, creating nothing, when the temporary file is missing', async () => {
    const { root, tempPath, finalPath } = await staged();
    await fs.promises.rm(tempPath);
    await expect(committing(commitFile(tempPath, finalPath))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(root)).toEqual([]);
  });
});
