// Lesson 04, task 6: commit the file atomically, never replacing one.
//
// Say the power fails just after your receiver wrote "report.pdf". Without
// care, the name can survive with the file's bytes missing (an empty or
// partial file that looks complete). And open(name, 'w') would have
// replaced any earlier "report.pdf" without a word. So the body goes to a
// temporary file first, and only a complete, checked file gets its name:
// fsync the file, give it its name, fsync the folder.
import { link, open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TransferError } from './protocol.ts';

/**
 * Gives the complete, checked file at `tempPath` the name `finalPath` (in
 * the same folder), durably and without replacing anything:
 * 1. fsync the file, so its bytes are on disk before any name points at them;
 * 2. link it to `finalPath`, which fails if that name exists, then unlink
 *    `tempPath` (rename() would silently replace an existing file);
 * 3. fsync the folder, so the new name itself is on disk.
 * Rejects with TransferError code 'exists' if `finalPath` exists (the
 * temporary file is then left for the caller to remove).
 */
export async function commitFile(tempPath: string, finalPath: string): Promise<void> {
  await fsyncPath(tempPath, 'r+'); // Windows needs write access to flush a file
  try {
    await link(tempPath, finalPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new TransferError('exists', 'a file with that name is already there, and it is never replaced');
    }
    throw err;
  }
  await unlink(tempPath);
  // POSIX systems flush a folder's entries with fsync on the folder itself.
  // Windows cannot open a folder this way; NTFS journals the change instead.
  if (process.platform !== 'win32') await fsyncPath(dirname(finalPath), 'r');
}

async function fsyncPath(path: string, flags: string): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
