// Temporary folders for tests that touch the disk, and a way to prove what
// code under test wrote (or did not write) there.
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/**
 * Returns a function that makes a fresh, empty folder under os.tmpdir()
 * (named `<prefix>XXXXXX`). Every folder made during a test is removed,
 * with all it holds, after that test. Call once at the top of a test file.
 */
export function useTempDirs(prefix = 'workbook-'): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    const dirs = made.splice(0);
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 3 })));
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}

/**
 * Everything under `dir`, as sorted lines such as `inbox/a.txt file 5 B sha256:2cf24dba5fb0`
 * (`dir` itself is not listed). Symlinks are listed, not followed.
 * Compare two snapshots with toEqual to prove that nothing changed.
 */
export async function snapshotTree(dir: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel))).sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(dir, path);
      const info = await lstat(full);
      if (info.isDirectory()) {
        lines.push(`${path}/ folder`);
        await walk(path);
      } else if (info.isSymbolicLink()) {
        lines.push(`${path} symlink -> ${await readlink(full)}`);
      } else {
        const digest = createHash('sha256')
          .update(await readFile(full))
          .digest('hex')
          .slice(0, 12);
        lines.push(`${path} file ${info.size} B sha256:${digest}`);
      }
    }
  };
  await walk('');
  return lines;
}
