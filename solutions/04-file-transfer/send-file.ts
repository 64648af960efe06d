// Lesson 04, task 4: the sender.
//
// Say you send a 2 GiB video. The tutorial's sender read the file into
// memory, or wrote 1 KiB pieces as fast as it could read them, whether or
// not the network kept up. Here the file streams to the socket through
// stream.pipeline, which stops reading the file whenever the socket's
// buffer is full (backpressure): memory stays flat, whatever the size.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readFrame } from './frame-then-body.ts';
import { MAX_VERDICT_BYTES, type Verdict, jsonFrame, parseVerdict } from './protocol.ts';

/** How much of the file is read at a time (README, "Buffer sizes", says why). */
export const CHUNK_BYTES = 256 * 1024;

/**
 * Sends the file at `filePath` over `socket` as `name` (default: the
 * file's own name): the header frame {name, size, sha256}, then exactly
 * `size` bytes of body. Resolves with the receiver's verdict, and closes
 * the connection. If the receiver refuses the header, it stops sending at
 * once and resolves with the refusal. Rejects if the connection fails
 * or the file cannot be read.
 */
export async function sendFile(socket: Duplex, filePath: string, name: string = basename(filePath)): Promise<Verdict> {
  try {
    const { size } = await stat(filePath);
    // The hash goes in the header, before the body, so the file is read twice.
    // If it changes in between, the receiver's hash check catches it.
    const sha256 = await hashFile(filePath);
    // Listen for the verdict from the start: a receiver that refuses the
    // header (bad name, quota, exists) answers at once, mid-body.
    // Settled: a verdict came, or none can come (the receiver hung up, or
    // sent a bad frame). Either way the body stops, and `verdict` holds why.
    let settled = false;
    const verdict = readFrame(socket, MAX_VERDICT_BYTES).then(parseVerdict);
    const body = size > 0 ? createReadStream(filePath, { end: size - 1, highWaterMark: CHUNK_BYTES }) : null;
    const stopSending = (): void => void body?.destroy();
    verdict
      .catch(() => {})
      .finally(() => {
        settled = true;
        stopSending();
      });

    socket.write(jsonFrame({ name, size, sha256 }));
    if (body) {
      try {
        // end: false keeps the socket open: the verdict must still come back.
        await pipeline(body, socket, { end: false });
      } catch (err) {
        if (!settled) throw err; // a real failure, not the body stopped by the verdict
      }
      if (!settled && body.bytesRead !== size)
        throw new Error(`${filePath} shrank to ${body.bytesRead} bytes while it was being sent`);
    }
    return await verdict;
  } finally {
    // One connection, one file: whatever happened, this connection is done.
    socket.destroy();
  }
}

/** The SHA-256 of the file at `path`, as 64 lowercase hex digits, read in chunks (never whole). */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
