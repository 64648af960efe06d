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
  return new Promise((resolve, reject) => {
    if (stream.destroyed || stream.readableEnded) {
      return reject(new FrameError('the connection was already closed, so no frame can arrive'));
    }
    let buffered: Buffer = Buffer.alloc(0);

    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let frame: ReturnType<typeof takeFrame>;
      try {
        frame = takeFrame(buffered, maxPayload);
      } catch (err) {
        return fail(err as Error);
      }
      if (frame === null) return; // not enough bytes yet: wait for more
      stop();
      // Pause first, then unshift: unshift() into a flowing stream would emit
      // the bytes again at once, to nobody, and they would be lost.
      if (frame.rest.length > 0) stream.unshift(frame.rest);
      resolve(frame.payload);
    };
    const onEnd = (): void =>
      fail(
        new FrameError(
          buffered.length === 0
            ? 'the connection ended before a frame arrived'
            : `the connection ended in the middle of a frame, after ${buffered.length} of its bytes`,
        ),
      );

    const stop = (): void => {
      stream.pause();
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', fail);
    };
    const fail = (err: Error): void => {
      stop();
      reject(err);
    };

    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('close', onEnd); // destroyed without an 'end' (a reset)
    stream.on('error', fail);
    // A stream paused by an earlier reader stays paused when a 'data'
    // listener is added; resume() starts the flow again.
    stream.resume();
  });
}
