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
import { finished } from 'node:stream/promises';
import { TransferError } from './protocol.ts';

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
  return new Promise((resolve, reject) => {
    let copied = 0;

    const done = (): void => {
      dest.end();
      finished(dest).then(() => resolve({ bytes: copied, sha256: hash.digest('hex') }), reject);
    };
    const onData = (chunk: Buffer): void => {
      // Never take more than what is left of the body.
      const piece = chunk.length > size - copied ? chunk.subarray(0, size - copied) : chunk;
      copied += piece.length;
      hash.update(piece);
      const ok = dest.write(piece);
      if (copied === size) {
        stop();
        // The rest of this chunk is not ours: give it back to the stream.
        if (piece.length < chunk.length) source.unshift(chunk.subarray(piece.length));
        return done();
      }
      if (!ok) {
        // dest's buffer is full: stop reading until it has room again.
        source.pause();
        dest.once('drain', onDrain);
      }
    };
    const onDrain = (): void => void source.resume();
    const onShort = (err?: Error): void => {
      stop();
      // A TransferError (such as the receiver's own 'timeout') keeps its code.
      if (err instanceof TransferError) return reject(err);
      const why = err ? ` (${err.message})` : '';
      reject(new TransferError('short-body', `the connection ended after ${copied} of the ${size} body bytes${why}`));
    };
    const onEnd = (): void => onShort();
    const onDestError = (err: Error): void => {
      stop();
      reject(err);
    };
    const stop = (): void => {
      source.pause();
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('close', onEnd);
      source.off('error', onShort);
      dest.off('drain', onDrain);
      dest.off('error', onDestError);
    };

    if (size === 0) return done(); // nothing to read: leave the source alone
    // The source may have ended or been reset while our caller awaited
    // something else (a file check, say): its 'end' or 'close' is then
    // already past, and listening for it would wait for ever.
    if (source.destroyed) return onShort(source.errored ?? undefined);
    if (source.readableEnded) return onShort();
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('close', onEnd);
    source.on('error', onShort);
    dest.on('error', onDestError);
    source.resume(); // readFrame left it paused; a 'data' listener alone would not restart it
  });
}
