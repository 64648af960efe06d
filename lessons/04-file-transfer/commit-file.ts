// Lesson 04, task 6: commit the file atomically, never replacing one.
//
// Say the power fails just after your receiver wrote "report.pdf". Without
// care, the name can survive with the file's bytes missing (an empty or
// partial file that looks complete). And open(name, 'w') would have
// replaced any earlier "report.pdf" without a word. So the body goes to a
// temporary file first, and only a complete, checked file gets its name:
// fsync the file, give it its name, fsync the folder.
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
  // TODO: with node:fs/promises: open(tempPath, 'r+'), handle.sync(),
  // handle.close(); link(tempPath, finalPath), turning an EEXIST error into
  // new TransferError('exists', ...); unlink(tempPath); then open the folder
  // (path.dirname(finalPath)) with 'r', sync() and close() it (not on Windows).
  throw new Error('TODO: write commitFile (task 6 in lessons/04-file-transfer/README.md)');
}
