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
  const maxFrameSize = checkLimit(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
  const parts = payload instanceof Uint8Array ? [payload] : payload;
  const length = parts.reduce((sum, part) => sum + part.byteLength, 0);
  if (length > maxFrameSize) {
    throw new FrameError(
      'FRAME_TOO_LARGE',
      `cannot send a ${count(length)} payload: the frame limit is ${count(maxFrameSize)}`,
    );
  }
  // One allocation, and each payload byte copied once.
  const frame = Buffer.allocUnsafe(HEADER_SIZE + length);
  frame.writeUInt32BE(length, 0);
  let at = HEADER_SIZE;
  for (const part of parts) {
    frame.set(part, at);
    at += part.byteLength;
  }
  return frame;
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
  const maxFrameSize = checkLimit(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
  // Plain index loops: this runs per frame, and entries() would allocate per frame.
  let total = 0;
  for (let i = 0; i < payloads.length; i++) {
    const length = payloads[i]!.length;
    if (length > maxFrameSize) {
      throw new FrameError(
        'FRAME_TOO_LARGE',
        `cannot send payload ${i + 1} of ${payloads.length}, ${count(length)}: the frame limit is ${count(maxFrameSize)}`,
      );
    }
    total += HEADER_SIZE + length;
  }
  const frames = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < payloads.length; i++) {
    const payload = payloads[i]!;
    frames.writeUInt32BE(payload.length, at);
    frames.set(payload, at + HEADER_SIZE);
    at += HEADER_SIZE + payload.length;
  }
  return frames;
}

/**
 * Writes one frame to `stream` without copying the payload: the 4-byte
 * header and the payload go to the stream as two buffers, corked so that
 * they leave in one write (writev). For large payloads this saves a copy
 * of every byte. Returns `false` when the stream's buffer is full after
 * the write, as write() does: then wait for 'drain' before writing more.
 */
export function writeFrame(stream: Writable, payload: Uint8Array, options: FrameOptions = {}): boolean {
  const maxFrameSize = checkLimit(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
  if (payload.byteLength > maxFrameSize) {
    throw new FrameError(
      'FRAME_TOO_LARGE',
      `cannot send a ${count(payload.byteLength)} payload: the frame limit is ${count(maxFrameSize)}`,
    );
  }
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  header.writeUInt32BE(payload.byteLength, 0);
  stream.cork();
  stream.write(header);
  stream.write(payload);
  stream.uncork();
  // Not what write() returned: while corked nothing leaves, so a payload as
  // big as the buffer (16 KiB) always got false, and every caller waited
  // for 'drain' after every large frame. What counts is what uncork() left.
  return !stream.destroyed && stream.writableLength < stream.writableHighWaterMark;
}

/**
 * The bytes received but not yet used: a list of chunks and a byte count.
 * Appending never copies, and `take` copies a byte only when the bytes it
 * returns span two chunks, so each byte is copied at most once however the
 * stream was cut. (Buffer.concat of the backlog on every chunk copies the
 * backlog again for each chunk: quadratic when a frame arrives in many pieces.)
 */
export class ByteQueue {
  readonly #chunks: Buffer[] = [];
  /** How many bytes of the first chunk are already taken. */
  #offset = 0;
  #length = 0;

  /** How many bytes are queued. */
  get length(): number {
    return this.#length;
  }

  /** Appends a chunk (kept by reference: the caller must not change it afterwards). */
  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#length += chunk.byteLength;
  }

  /**
   * Removes and returns the first `n` bytes. When they lie in one chunk the
   * result is a view of that chunk (no copy), as `ws` does; otherwise they
   * are copied once into memory of their own (see spanBuffer). Throws
   * RangeError if fewer are queued.
   */
  take(n: number): Buffer {
    if (!Number.isInteger(n) || n < 0 || n > this.#length) {
      throw new RangeError(`cannot take ${n} bytes from a queue holding ${this.#length}`);
    }
    if (n === 0) return Buffer.alloc(0);
    this.#length -= n;
    const first = this.#chunks[0]!;
    const start = this.#offset;
    if (n <= first.length - start) {
      // All in the first chunk: a view, no copy.
      if (n === first.length - start) {
        this.#chunks.shift();
        this.#offset = 0;
      } else {
        this.#offset += n;
      }
      return first.subarray(start, start + n);
    }
    // Spread over several chunks: copy each piece once into memory of its own.
    const out = spanBuffer(n);
    let filled = 0;
    let used = 0; // chunks emptied, removed in one splice below
    let offset = start;
    while (filled < n) {
      const chunk = this.#chunks[used]!;
      const k = Math.min(chunk.length - offset, n - filled);
      chunk.copy(out, filled, offset, offset + k);
      filled += k;
      if (offset + k === chunk.length) {
        used++;
        offset = 0;
      } else {
        offset += k;
      }
    }
    this.#chunks.splice(0, used);
    this.#offset = offset;
    return out;
  }
}

/** The slab that spanning takes share: 1 MiB, 16 frames of 64 KiB. */
const SLAB_SIZE = 1024 * 1024;
/** Smaller takes come from Node's own pool (Buffer.allocUnsafe uses it below 4 KiB). */
const SLAB_MIN_TAKE = 4 * 1024;
let slab = Buffer.allocUnsafe(0);
let slabUsed = 0;

/**
 * Memory for `n` bytes that span chunks. A fast path, for speed only: a
 * take of 4 KiB to 256 KiB gets a slice of a 1 MiB slab, shared by every
 * queue in the process, instead of an allocation of its own (Node's
 * Buffer.allocUnsafe() shares an 8 KiB pool among small buffers the same
 * way). A 64 KiB frame always spans two socket reads, so without it each
 * one costs an allocation, and the garbage collector's work for it. Slices
 * never overlap, and a slab is never reused: a full one is left to the
 * frames that still use it. The cost: a frame kept for a long time keeps
 * its whole slab alive, as a view keeps its chunk (copy frames you keep).
 */
function spanBuffer(n: number): Buffer {
  if (n < SLAB_MIN_TAKE || n > SLAB_SIZE / 4) return Buffer.allocUnsafe(n);
  if (slab.length - slabUsed < n) {
    slab = Buffer.allocUnsafe(SLAB_SIZE);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += n + (-n & 7); // the next slice starts 8-byte aligned, as in Node's pool
  return out;
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
  readonly #onFrame: (payload: Buffer) => void;
  readonly #maxFrameSize: number;
  readonly #queue = new ByteQueue();
  /** The payload length of the frame being read, once its header is in. */
  #payloadLength: number | undefined;
  #failure: FrameError | undefined;

  constructor(onFrame: (payload: Buffer) => void, options: FrameOptions = {}) {
    this.#onFrame = onFrame;
    this.#maxFrameSize = checkLimit(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
  }

  /** Takes in the next bytes of the stream; calls onFrame for every frame they complete. */
  push(chunk: Uint8Array): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.#queue.push(chunk);
    // One chunk may hold many frames, or only part of one: hand out every
    // complete frame, and keep the rest for the next chunk. First the frame
    // that began in an earlier chunk, through the queue.
    while (this.#queue.length > chunk.length || this.#payloadLength !== undefined) {
      const frame = this.#nextFrame();
      if (frame === undefined) return; // wait for more bytes
      this.#onFrame(frame);
    }
    // Now the queue holds only the rest of this chunk, between frames.
    this.#wholeFramesOf(this.#queue.take(this.#queue.length));
    // Left in the queue: an incomplete frame. Read its header if it is in,
    // so that end() can tell a cut header from a cut payload.
    for (let frame = this.#nextFrame(); frame !== undefined; frame = this.#nextFrame()) this.#onFrame(frame);
  }

  /** Says the stream has ended: fine between frames, FrameError TRUNCATED inside one. */
  end(): void {
    if (this.#failure !== undefined) throw this.#failure;
    const have = this.#queue.length;
    if (this.#payloadLength === undefined && have === 0) return; // ended between frames: fine
    const message =
      this.#payloadLength === undefined
        ? `the stream ended inside a frame header: got ${have} of its ${HEADER_SIZE} bytes, ${count(HEADER_SIZE - have)} missing`
        : `the stream ended inside a ${this.#payloadLength}-byte frame: got ${count(have)} of its payload, ${count(this.#payloadLength - have)} missing`;
    throw this.#fail(new FrameError('TRUNCATED', message));
  }

  /**
   * A fast path, for speed only: `bytes` (the rest of this chunk, between
   * frames; nothing else is queued) is cut into whole frames in place, each
   * header read where it lies and each payload handed out as a view. The
   * queue alone would give the same frames, with two views per frame
   * instead of one. The incomplete frame at the end goes back to the queue,
   * and so does everything after a frame whose onFrame throws.
   */
  #wholeFramesOf(bytes: Buffer): void {
    let at = 0;
    try {
      while (bytes.length - at >= HEADER_SIZE) {
        const length = bytes.readUInt32BE(at);
        if (length > this.#maxFrameSize) {
          throw this.#fail(tooLarge(bytes.subarray(at, at + HEADER_SIZE), length, this.#maxFrameSize));
        }
        const end = at + HEADER_SIZE + length;
        if (end > bytes.length) break; // an incomplete frame: the queue takes it from here
        const payload = bytes.subarray(at + HEADER_SIZE, end);
        at = end;
        this.#onFrame(payload);
      }
    } finally {
      this.#queue.push(at === 0 ? bytes : bytes.subarray(at));
    }
  }

  /** The next complete payload from the queue, or undefined when more bytes are needed. */
  #nextFrame(): Buffer | undefined {
    if (this.#payloadLength === undefined) {
      // Not even a whole header yet: wait for more.
      if (this.#queue.length < HEADER_SIZE) return undefined;
      const header = this.#queue.take(HEADER_SIZE);
      const length = header.readUInt32BE(0);
      // Check the length *before* waiting for or allocating the payload: a
      // header of ff ff ff ff must cost 4 bytes of memory, not 4 GiB.
      if (length > this.#maxFrameSize) throw this.#fail(tooLarge(header, length, this.#maxFrameSize));
      this.#payloadLength = length;
    }
    // Header in, payload incomplete: wait for more.
    if (this.#queue.length < this.#payloadLength) return undefined;
    const payload = this.#queue.take(this.#payloadLength);
    this.#payloadLength = undefined;
    return payload;
  }

  #fail(error: FrameError): FrameError {
    this.#failure = error;
    return error;
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
  readonly #reader: FrameReader;

  constructor(options: FrameOptions = {}) {
    super({ readableObjectMode: true });
    this.#reader = new FrameReader((payload) => this.push(payload), options);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#reader.push(chunk); // calls this.push() for each frame the chunk completes
    } catch (error) {
      return callback(error as Error);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.#reader.end();
    } catch (error) {
      return callback(error as Error);
    }
    callback();
  }
}

function tooLarge(header: Buffer, length: number, limit: number): FrameError {
  let message = `a frame header (${header.toString('hex').replace(/(..)(?!$)/g, '$1 ')}) announces ${count(length)}, over the limit of ${count(limit)}`;
  // A length that fits when read backwards was most likely written in the
  // sender's native (little-endian) order, e.g. Python's struct.pack('i', n).
  const littleEndian = header.readUInt32LE(0);
  if (littleEndian <= limit) {
    message += `; read as little-endian it would be ${count(littleEndian)}: is the sender writing its length in native byte order (struct.pack('i', n)) instead of network order ('!I')?`;
  }
  return new FrameError('FRAME_TOO_LARGE', message);
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_U32) {
    throw new RangeError(`maxFrameSize must be a whole number from 0 to ${MAX_U32}, got ${limit}`);
  }
  return limit;
}

function count(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}
