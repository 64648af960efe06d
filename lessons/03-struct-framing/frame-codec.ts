// Lesson 03, task 2: a frame codec.
//
// Say two programs trade messages over TCP. TCP delivers a stream of bytes,
// not messages, so each message travels as a frame: a 4-byte unsigned
// big-endian length, then that many bytes of payload. This file is the whole
// codec (encoders, an incremental decoder with two faces, and the error
// they throw); it imports nothing else from the workbook, so later lessons
// can reuse it.
import { Transform, type TransformCallback, type Writable } from 'node:stream';

/** Every frame starts with a 4-byte length: u32, big-endian (network order). */
export const HEADER_SIZE = 4;
/** The largest length a u32 can hold: 4,294,967,295 (4 GiB - 1). */
export const MAX_U32 = 0xffff_ffff;
/**
 * The default cap on one payload: 1 MiB. For scale: gRPC refuses messages
 * over 4,194,304 bytes by default; HTTP/2 frames start at 16,384 at most.
 */
export const DEFAULT_MAX_FRAME_SIZE = 1024 * 1024;

/**
 * - `FRAME_TOO_LARGE`: a length over the limit (decoder: from the peer's
 *   header, before anything is allocated; encoder: a payload we refuse to send).
 * - `TRUNCATED`: the stream ended in the middle of a frame.
 */
export type FrameErrorCode = 'FRAME_TOO_LARGE' | 'TRUNCATED';

/** What the codec throws (and what the decoder emits as 'error') for bad frames. */
export class FrameError extends Error {
  override name = 'FrameError';
  constructor(
    readonly code: FrameErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface FrameOptions {
  /** The largest payload accepted, in bytes (default 1 MiB, at most 0xFFFFFFFF). */
  maxFrameSize?: number;
}

/**
 * One frame: the u32be length of `payload`, then `payload`. Pass several
 * parts to frame them as one payload without concatenating them first:
 * `encodeFrame([Buffer.of(type), body])`. Payloads over `maxFrameSize`
 * throw FrameError FRAME_TOO_LARGE: the peer would refuse them anyway.
 */
export function encodeFrame(payload: Uint8Array | readonly Uint8Array[], options: FrameOptions = {}): Buffer {
  // TODO: add up the parts' lengths; throw new FrameError('FRAME_TOO_LARGE', ...)
  // over the limit; then allocate 4 + length bytes, write the length with
  // writeUInt32BE, and copy each part in after it.
  throw new Error('TODO: write encodeFrame (task 2 in lessons/03-struct-framing/README.md)');
}

/**
 * Many frames in one Buffer, for one write: the frames of `payloads`, one
 * after the other. For many small messages this is much cheaper than one
 * encodeFrame() each, then Buffer.concat(): one allocation for all of them,
 * and each byte copied once. Every payload is checked against
 * `maxFrameSize` before anything is allocated; one over it throws
 * FrameError FRAME_TOO_LARGE, naming it, and nothing is encoded.
 */
export function encodeFrames(payloads: readonly Uint8Array[], options: FrameOptions = {}): Buffer {
  // TODO: check every payload against the limit and add up 4 + its length;
  // then allocate the total once, and write each length and payload in turn.
  throw new Error('TODO: write encodeFrames (task 2 in lessons/03-struct-framing/README.md)');
}

/**
 * Writes one frame to `stream` without copying the payload: the 4-byte
 * header and the payload go to the stream as two buffers, corked so that
 * they leave in one write (writev). For large payloads this saves a copy
 * of every byte. Returns `false` when the stream's buffer is full after
 * the write, as write() does: then wait for 'drain' before writing more.
 */
export function writeFrame(stream: Writable, payload: Uint8Array, options: FrameOptions = {}): boolean {
  // TODO: check the limit as encodeFrame does (before writing anything);
  // write a 4-byte header, then the payload itself (not a copy), between
  // stream.cork() and stream.uncork(); then return whether the buffer has
  // room: !stream.destroyed && stream.writableLength < stream.writableHighWaterMark
  // (not what write() returned while corked: see the README).
  throw new Error('TODO: write writeFrame (task 2 in lessons/03-struct-framing/README.md)');
}

/**
 * The bytes received but not yet used: a list of chunks and a byte count.
 * Appending never copies, and `take` copies a byte only when the bytes it
 * returns span two chunks, so each byte is copied at most once however the
 * stream was cut. (Buffer.concat of the backlog on every chunk copies the
 * backlog again for each chunk: quadratic when a frame arrives in many pieces.)
 */
export class ByteQueue {
  // TODO: keep a list of chunks (Buffer[]) and a count of the bytes in them.

  /** How many bytes are queued. */
  get length(): number {
    throw new Error('TODO: write ByteQueue.length (task 2 in lessons/03-struct-framing/README.md)');
  }

  /** Appends a chunk (kept by reference: the caller must not change it afterwards). */
  push(chunk: Uint8Array): void {
    // TODO: add the chunk to the list (no copy) and count its bytes.
    throw new Error('TODO: write ByteQueue.push (task 2 in lessons/03-struct-framing/README.md)');
  }

  /**
   * Removes and returns the first `n` bytes. When they lie in one chunk the
   * result is a view of that chunk (no copy), as `ws` does; otherwise they
   * are copied once into a new buffer. Throws RangeError if fewer are queued.
   */
  take(n: number): Buffer {
    // TODO: if the first chunk holds n bytes or more, return first.subarray(0, n)
    // and keep first.subarray(n); otherwise copy from as many chunks as it takes.
    throw new Error('TODO: write ByteQueue.take (task 2 in lessons/03-struct-framing/README.md)');
  }
}

/**
 * The decoder itself, without a stream around it: push chunks in, and it
 * calls `onFrame(payload)` once for each complete frame, in order, before
 * push() returns. It keeps only the bytes of the frame not yet complete.
 * It checks each length against `maxFrameSize` as soon as the 4 header
 * bytes are in, before waiting for or allocating the payload, and throws
 * FrameError on a length over the limit (FRAME_TOO_LARGE) or, from end(),
 * when the bytes stop inside a frame (TRUNCATED). After a FrameError it
 * throws the same error on every later call. If `onFrame` throws, push()
 * stops there and rethrows; the frames after it stay queued and come out
 * on the next push(). A 0-length frame is valid: an empty Buffer.
 *
 * A callback costs less per frame than a stream's push(): use this for
 * many small frames handled at once; FrameDecoder wraps it as a stream.
 */
export class FrameReader {
  // TODO: keep onFrame, the limit, a ByteQueue, the length of the frame
  // being read once its header is in (undefined while waiting for a
  // header), and the FrameError once one has been thrown.

  constructor(onFrame: (payload: Buffer) => void, options: FrameOptions = {}) {
    // TODO: remember onFrame and options.maxFrameSize (default DEFAULT_MAX_FRAME_SIZE).
  }

  /** Takes in the next bytes of the stream; calls onFrame for every frame they complete. */
  push(chunk: Uint8Array): void {
    // TODO: queue the chunk, then call onFrame for every complete frame.
    // Check each length against the limit as soon as its 4 bytes are in;
    // over it, throw new FrameError('FRAME_TOO_LARGE', ...) (and keep it).
    throw new Error('TODO: write FrameReader.push (task 2 in lessons/03-struct-framing/README.md)');
  }

  /** Says the stream has ended: fine between frames, FrameError TRUNCATED inside one. */
  end(): void {
    // TODO: between frames, return. Inside a frame, throw FrameError
    // TRUNCATED, saying how many bytes are missing.
    throw new Error('TODO: write FrameReader.end (task 2 in lessons/03-struct-framing/README.md)');
  }
}

/**
 * Turns a byte stream back into payloads: write any chunks in, read one
 * Buffer per frame out (object mode). A FrameReader does the decoding; this
 * adds what a stream gives: `socket.pipe(decoder)`, backpressure,
 * `for await (const frame of decoder)`, and errors as an 'error' event
 * (FrameError FRAME_TOO_LARGE or TRUNCATED, as FrameReader throws them).
 */
export class FrameDecoder extends Transform {
  // TODO: keep a FrameReader.

  constructor(options: FrameOptions = {}) {
    super({ readableObjectMode: true });
    // TODO: create the FrameReader with onFrame (payload) => this.push(payload), and the options.
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // TODO: push the chunk into the reader. If that throws, callback(error);
    // otherwise callback().
    callback(new Error('TODO: write FrameDecoder._transform (task 2 in lessons/03-struct-framing/README.md)'));
  }

  override _flush(callback: TransformCallback): void {
    // TODO: the stream has ended: end the reader, then callback(error) or callback().
    callback(new Error('TODO: write FrameDecoder._flush (task 2 in lessons/03-struct-framing/README.md)'));
  }
}
