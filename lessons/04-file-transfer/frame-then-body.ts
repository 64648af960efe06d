// Lesson 04, task 3: read one frame, and keep the bytes after it.
//
// Say the sender writes its header frame and then, at once, the file. TCP
// does not keep those two writes apart: the first 'data' event may hold
// the header and the first 60 KB of the file. A reader that takes the
// whole chunk as "the header" loses the start of the file. This reader
// takes exactly one frame and puts every byte after it back in the stream,
// so the next reader (the body copier) starts at the body's first byte.
import type { Readable } from 'node:stream';
import { FrameError, takeFrame } from './frame.ts';

/**
 * Reads exactly one frame (`u32be length | payload`) from `stream` and
 * resolves with its payload. Bytes after the frame stay in `stream`, which
 * is left paused, for the next reader.
 *
 * Rejects with FrameError when the length is over `maxPayload` (as soon as
 * the 4 length bytes arrive) or when the stream ends or closes first, and
 * with the stream's error if it fails.
 */
export function readFrame(stream: Readable, maxPayload: number): Promise<Buffer> {
  // TODO: return a Promise. On each 'data' chunk, add it to what you hold and
  // call takeFrame(held, maxPayload) (frame.ts): null means wait for more; a
  // throw means reject. With a frame: remove your listeners, stream.pause(),
  // then stream.unshift(rest) if rest is not empty, and resolve(payload).
  // Reject on 'end', 'close' and 'error' too. Call stream.resume() after
  // adding your 'data' listener: an earlier reader may have paused the stream.
  throw new Error('TODO: write readFrame (task 3 in lessons/04-file-transfer/README.md)');
}
