// Lesson 03, task 3: a JSON header and a body.
//
// Say you send a file the way the tutorials do: a small JSON header with
// its name and size, then the bytes themselves. The header arrives from a
// stranger, so it is size-capped before it is buffered, and checked field
// by field before anything trusts it.
import { Transform, type TransformCallback } from 'node:stream';
import { ByteQueue } from './frame-codec.ts'; // your queue from task 2

/** The largest JSON header accepted: 64 KiB (a header of 50 MB would block JSON.parse for a second). */
export const MAX_HEADER_SIZE = 64 * 1024;
/** The default cap on one body: 16 MiB. */
export const DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024;
/** A name is 1 to 255 bytes of UTF-8. */
export const MAX_NAME_BYTES = 255;

/**
 * - `HEADER_TOO_LARGE`: the header length is over `maxHeaderSize`.
 * - `BAD_JSON`: the header is not UTF-8 JSON.
 * - `BAD_HEADER`: valid JSON, but not an object with a good `name` and `size`.
 * - `BODY_TOO_LARGE`: `size` is over `maxBodySize`.
 * - `TRUNCATED`: the stream ended in the middle of a message.
 */
export type MessageErrorCode = 'HEADER_TOO_LARGE' | 'BAD_JSON' | 'BAD_HEADER' | 'BODY_TOO_LARGE' | 'TRUNCATED';

export class MessageError extends Error {
  override name = 'MessageError';
  constructor(
    readonly code: MessageErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The header's fields. Others may be present on the wire; they are ignored. */
export interface MessageHeader {
  name: string;
  size: number;
}

export interface Message {
  header: MessageHeader;
  body: Buffer;
}

export interface MessageLimits {
  /** Default MAX_HEADER_SIZE (64 KiB). */
  maxHeaderSize?: number;
  /** Default DEFAULT_MAX_BODY_SIZE (16 MiB). */
  maxBodySize?: number;
}

/** `u32be header length | {"name":…,"size":…} | body`, in one buffer. */
export function encodeMessage(name: string, body: Uint8Array, limits: MessageLimits = {}): Buffer {
  // TODO: check the name (1 to 255 bytes of UTF-8) and the body size (at most
  // maxBodySize), throwing MessageError; build the JSON from { name, size } in
  // that order; return its u32be length, the JSON bytes and the body.
  throw new Error('TODO: write encodeMessage (task 3 in lessons/03-struct-framing/README.md)');
}

/**
 * Parses and checks a header: strict UTF-8, JSON, an object, `name` a
 * string of 1 to 255 UTF-8 bytes, `size` a whole number from 0 to
 * `maxBodySize`. Throws MessageError naming what is wrong.
 */
export function parseHeader(json: Uint8Array, limits: MessageLimits = {}): MessageHeader {
  // TODO: decode with new TextDecoder('utf-8', { fatal: true }), JSON.parse
  // (both failures are BAD_JSON), then check the value and each field
  // (BAD_HEADER), and the size against the limit (BODY_TOO_LARGE).
  throw new Error('TODO: write parseHeader (task 3 in lessons/03-struct-framing/README.md)');
}

/**
 * Turns a byte stream into messages: write any chunks in, read
 * `{ header, body }` objects out. Limits are checked as soon as the bytes
 * that reveal them arrive: the header length before the header is
 * buffered, the size before the body is.
 */
export class MessageDecoder extends Transform {
  // TODO: keep the limits, a ByteQueue (from ./frame-codec.ts), and what is
  // known so far of the message being read: its header length, then its header.

  constructor(limits: MessageLimits = {}) {
    super({ readableObjectMode: true });
    // TODO: remember the limits, with their defaults.
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // TODO: queue the chunk, then push() every complete { header, body }.
    // Three steps per message: 4 bytes of header length (check it against
    // maxHeaderSize), the header (parseHeader), then header.size bytes of body.
    callback(new Error('TODO: write MessageDecoder._transform (task 3 in lessons/03-struct-framing/README.md)'));
  }

  override _flush(callback: TransformCallback): void {
    // TODO: between messages, callback(); inside one, fail with MessageError
    // TRUNCATED, saying how many bytes are missing.
    callback(new Error('TODO: write MessageDecoder._flush (task 3 in lessons/03-struct-framing/README.md)'));
  }
}
