// Lesson 03, task 3: a JSON header and a body.
//
// Say you send a file the way the tutorials do: a small JSON header with
// its name and size, then the bytes themselves. The header arrives from a
// stranger, so it is size-capped before it is buffered, and checked field
// by field before anything trusts it.
import { Transform, type TransformCallback } from 'node:stream';
import { ByteQueue } from './frame-codec.ts';

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
  const { maxHeaderSize, maxBodySize } = withDefaults(limits);
  checkName(name);
  checkSize(body.byteLength, maxBodySize);
  // Built here, field by field, so the bytes are always the same: name, then size.
  const header = Buffer.from(JSON.stringify({ name, size: body.byteLength }), 'utf8');
  if (header.length > maxHeaderSize) {
    throw new MessageError(
      'HEADER_TOO_LARGE',
      `the header would be ${header.length} bytes, over the limit of ${maxHeaderSize}`,
    );
  }
  const message = Buffer.allocUnsafe(4 + header.length + body.byteLength);
  message.writeUInt32BE(header.length, 0);
  header.copy(message, 4);
  message.set(body, 4 + header.length);
  return message;
}

/**
 * Parses and checks a header: strict UTF-8, JSON, an object, `name` a
 * string of 1 to 255 UTF-8 bytes, `size` a whole number from 0 to
 * `maxBodySize`. Throws MessageError naming what is wrong.
 */
export function parseHeader(json: Uint8Array, limits: MessageLimits = {}): MessageHeader {
  const { maxBodySize } = withDefaults(limits);
  let text: string;
  try {
    // fatal: invalid UTF-8 is an error, not silently replaced with U+FFFD.
    // One byte order mark at the very start is skipped (RFC 8259 §8.1 allows it).
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw new MessageError('BAD_JSON', 'the header is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MessageError('BAD_JSON', `the header is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MessageError('BAD_HEADER', `the header must be a JSON object, got ${describe(value)}`);
  }
  // Own properties only: "name" must come from the JSON, not from a prototype.
  for (const field of ['name', 'size']) {
    if (!Object.hasOwn(value, field)) throw new MessageError('BAD_HEADER', `the header has no "${field}" field`);
  }
  const { name, size } = value as Record<string, unknown>;
  checkName(name);
  checkSize(size, maxBodySize);
  return { name, size };
}

/**
 * Turns a byte stream into messages: write any chunks in, read
 * `{ header, body }` objects out. Limits are checked as soon as the bytes
 * that reveal them arrive: the header length before the header is
 * buffered, the size before the body is.
 */
export class MessageDecoder extends Transform {
  readonly #limits: Required<MessageLimits>;
  readonly #queue = new ByteQueue();
  #headerLength: number | undefined;
  #header: MessageHeader | undefined;

  constructor(limits: MessageLimits = {}) {
    super({ readableObjectMode: true });
    this.#limits = withDefaults(limits);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#queue.push(chunk);
    try {
      for (let message = this.#next(); message !== undefined; message = this.#next()) this.push(message);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    const have = this.#queue.length;
    if (this.#headerLength === undefined && have === 0) return callback();
    const [part, total] =
      this.#headerLength === undefined
        ? ['the 4-byte header length', 4]
        : this.#header === undefined
          ? [`a ${this.#headerLength}-byte JSON header`, this.#headerLength]
          : [`the ${this.#header.size}-byte body of "${this.#header.name}"`, this.#header.size];
    callback(
      new MessageError(
        'TRUNCATED',
        `the stream ended inside ${part}: ${total - have} ${total - have === 1 ? 'byte' : 'bytes'} missing`,
      ),
    );
  }

  /** The next complete message, or undefined when more bytes are needed. */
  #next(): Message | undefined {
    const queue = this.#queue;
    if (this.#headerLength === undefined) {
      if (queue.length < 4) return undefined;
      const length = queue.take(4).readUInt32BE(0);
      if (length > this.#limits.maxHeaderSize) {
        throw new MessageError(
          'HEADER_TOO_LARGE',
          `the JSON header would be ${length} bytes, over the limit of ${this.#limits.maxHeaderSize}`,
        );
      }
      this.#headerLength = length;
    }
    if (this.#header === undefined) {
      if (queue.length < this.#headerLength) return undefined;
      this.#header = parseHeader(queue.take(this.#headerLength), this.#limits);
    }
    if (queue.length < this.#header.size) return undefined;
    const message = { header: this.#header, body: queue.take(this.#header.size) };
    this.#headerLength = undefined;
    this.#header = undefined;
    return message;
  }
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new MessageError('BAD_HEADER', `"name" must be a string, got ${describe(name)}`);
  // JSON allows the escape \ud800 alone (a lone surrogate); UTF-8 cannot hold it.
  if (/\p{Surrogate}/u.test(name))
    throw new MessageError('BAD_HEADER', '"name" holds a lone surrogate, which has no UTF-8 form');
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes < 1 || bytes > MAX_NAME_BYTES) {
    throw new MessageError('BAD_HEADER', `"name" must be 1 to ${MAX_NAME_BYTES} bytes of UTF-8, got ${bytes}`);
  }
}

function checkSize(size: unknown, maxBodySize: number): asserts size is number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new MessageError('BAD_HEADER', `"size" must be a whole number of bytes, 0 or more, got ${describe(size)}`);
  }
  if (size > maxBodySize)
    throw new MessageError('BODY_TOO_LARGE', `the body would be ${size} bytes, over the limit of ${maxBodySize}`);
}

function withDefaults(limits: MessageLimits): Required<MessageLimits> {
  return {
    maxHeaderSize: limits.maxHeaderSize ?? MAX_HEADER_SIZE,
    maxBodySize: limits.maxBodySize ?? DEFAULT_MAX_BODY_SIZE,
  };
}

/** A short description of a JSON value for an error message: `a string ("5")`, `null`. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const shown = JSON.stringify(value)?.slice(0, 40) ?? String(value);
  return `${typeof value === 'object' ? 'an' : 'a'} ${typeof value} (${shown})`;
}
