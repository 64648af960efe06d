// Lesson 04, task 5: copy exactly `size` bytes, hashing as they pass.
//
// Say a 4 GiB file arrives faster than the disk can take it. The tutorial's
// receiver read the whole file into memory (a 4 GiB Buffer), or looped on
// recv(1024) and believed each call filled its buffer. Here bytes go from
// the socket to the file as they come, never more than a few chunks in
// memory: when the file cannot keep up, the socket stops reading
// (backpressure). Each byte is hashed and counted on the way, and the copy
// stops at exactly `size` bytes.
import { type Hash, createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';

/** What copyBody copied: how many bytes, and the hash of everything hashed. */
export interface BodyResult {
  bytes: number;
  /** The hash's hex digest (SHA-256 unless you passed another Hash). */
  sha256: string;
}

/**
 * Copies exactly `size` bytes from `source` to `dest`, feeding each byte to
 * `hash` on the way; then ends `dest` and resolves once `dest` has finished
 * (for a file stream: written and closed).
 *
 * - Backpressure: when `dest.write()` returns false, `source` is paused
 *   until `dest` emits 'drain'.
 * - Bytes after the first `size` stay in `source` (unshifted, paused).
 * - Pass a `hash` that already holds earlier bytes to continue it (task 8).
 *
 * Rejects with TransferError code 'short-body' if `source` ends, closes or
 * fails before `size` bytes (a source that fails with a TransferError, such
 * as the receiver's own 'timeout', passes that error on as it is), and with
 * `dest`'s error if writing fails.
 * On failure `dest` is left as it is: the caller destroys it.
 */
export function copyBody(
  source: Readable,
  size: number,
  dest: Writable,
  hash: Hash = createHash('sha256'),
): Promise<BodyResult> {
  // TODO: on each 'data' chunk, take at most the bytes still missing,
  // hash.update() and dest.write() them. If write() returned false,
  // source.pause() until dest's 'drain'. At `size` bytes: remove your
  // listeners, pause, unshift the rest of the chunk, dest.end(), and resolve
  // after `await finished(dest)` (node:stream/promises). Reject on the
  // source's 'end', 'close' or 'error' with new TransferError('short-body', ...)
  // (protocol.ts), but pass on an error that already is a TransferError.
  // For size 0, just end dest. If the source has already ended or been
  // destroyed (source.readableEnded, source.destroyed: it may have happened
  // while your caller awaited something), reject at once: its 'end' or
  // 'close' is past. source.errored holds the error it was destroyed with.
  // Otherwise add your listeners and call source.resume() to start.
  throw new Error('TODO: write copyBody (task 5 in lessons/04-file-transfer/README.md)');
}
