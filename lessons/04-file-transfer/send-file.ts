// Lesson 04, task 4: the sender.
//
// Say you send a 2 GiB video. The tutorial's sender read the file into
// memory, or wrote 1 KiB pieces as fast as it could read them, whether or
// not the network kept up. Here the file streams to the socket through
// stream.pipeline, which stops reading the file whenever the socket's
// buffer is full (backpressure): memory stays flat, whatever the size.
import { basename } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Verdict } from './protocol.ts';

// #region chunk
/** How much of the file is read at a time (README, "Buffer sizes", says why). */
export const CHUNK_BYTES = 256 * 1024;
// #endregion chunk

/**
 * Sends the file at `filePath` over `socket` as `name` (default: the
 * file's own name): the header frame {name, size, sha256}, then exactly
 * `size` bytes of body. Resolves with the receiver's verdict, and closes
 * the connection. If the receiver refuses the header, it stops sending at
 * once and resolves with the refusal. Rejects if the connection fails
 * or the file cannot be read.
 */
export async function sendFile(socket: Duplex, filePath: string, name: string = basename(filePath)): Promise<Verdict> {
  // TODO: stat() the file for its size and hashFile() it. Start
  // readFrame(socket, MAX_VERDICT_BYTES) (task 3) before sending anything,
  // and when it settles, destroy the file stream (a refusal mid-body, or no
  // verdict can come: then fail with the verdict's reason, not the body's).
  // Write jsonFrame({ name, size, sha256 }), then
  // `await pipeline(createReadStream(filePath, { end: size - 1, highWaterMark: CHUNK_BYTES }), socket, { end: false })`
  // (skip it for size 0). Return parseVerdict() of the frame, and
  // socket.destroy() in a finally block.
  throw new Error('TODO: write sendFile (task 4 in lessons/04-file-transfer/README.md)');
}

/** The SHA-256 of the file at `path`, as 64 lowercase hex digits, read in chunks (never whole). */
export async function hashFile(path: string): Promise<string> {
  // TODO: createHash('sha256'), then update() it with each chunk of
  // createReadStream(path) (`for await (const chunk of stream)`), then digest('hex').
  throw new Error('TODO: write hashFile (task 4 in lessons/04-file-transfer/README.md)');
}
