// Temporary folders and tree snapshots: lesson tests use them to prove that
// code under test wrote nothing where it must not (lesson 04).
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapshotTree, useTempDirs } from '../../runner/kit/index.ts';

const tempDir = useTempDirs('wb-kit-files-');
let madeInEarlierTest = '';

describe('useTempDirs', () => {
  it('makes a fresh, empty folder under os.tmpdir() with the prefix', async () => {
    const dir = await tempDir();
    madeInEarlierTest = dir;
    expect(dirname(dir)).toBe(tmpdir());
    expect(dir).toMatch(/wb-kit-files-\w{6}$/);
    expect(await snapshotTree(dir)).toEqual([]);
    await writeFile(join(dir, 'left-behind.txt'), 'x');
    expect(await tempDir(), 'a second call makes another folder').not.toBe(dir);
  });

  it('removes the folders of the previous test, with what they held', (context) => {
    if (madeInEarlierTest === '') context.skip(); // run alone (-t), there is no previous test
    expect(existsSync(madeInEarlierTest)).toBe(false);
  });
});

describe('snapshotTree', () => {
  it('lists folders, files (size and hash) and symlinks, sorted, without following links', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'inbox'));
    await writeFile(join(dir, 'inbox', 'hello.txt'), 'hello');
    await writeFile(join(dir, 'a.bin'), Buffer.alloc(3));
    await symlink('/nowhere/at/all', join(dir, 'link'));
    expect(await snapshotTree(dir)).toEqual([
      'a.bin file 3 B sha256:709e80c88487',
      'inbox/ folder',
      'inbox/hello.txt file 5 B sha256:2cf24dba5fb0',
      'link symlink -> /nowhere/at/all',
    ]);
  });

  it('changes when a file changes, even with the same size', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'f'), 'abc');
    const before = await snapshotTree(dir);
    await writeFile(join(dir, 'f'), 'abd');
    expect(await snapshotTree(dir)).not.toEqual(before);
  });
});
