// Lesson 02, task 1: a line decoder.
//
// Say you are reading a line-based protocol from a TCP socket, like SMTP,
// FTP or this lesson's command runner. TCP hands you chunks, not lines: one
// 'data' event may hold half a line, or three lines and the start of a
// fourth. A line decoder turns those chunks back into the lines that were
// sent, one at a time, whatever the chunking.

/** The delimiter: the single byte 0x0A ('\n'). */
export const NEWLINE = 0x0a;

/** This lesson's limit on one line, in bytes, not counting its 0x0A. */
export const MAX_LINE_LENGTH = 4096;

/** Thrown when a line grows past the limit before its 0x0A arrives. */
export class LineTooLongError extends Error {
  override name = 'LineTooLongError';
  constructor(readonly limit: number) {
    super(`a line is longer than ${limit} bytes (no 0x0A within ${limit + 1} bytes)`);
  }
}

/** Thrown by end() when the stream stops in the middle of a line. */
export class IncompleteLineError extends Error {
  override name = 'IncompleteLineError';
  constructor(readonly bytes: number) {
    super(`the stream ended in the middle of a line: ${bytes} bytes came after the last 0x0A`);
  }
}

export interface LineDecoderOptions {
  /** The longest line accepted, in bytes, not counting its 0x0A (default 4096). */
  maxLineLength?: number;
}

/**
 * Turns chunks of a byte stream into lines. Keep one decoder per
 * connection, for the whole connection: the end of one chunk may be the
 * start of the next line.
 */
export class LineDecoder {
  readonly maxLineLength: number;
  /** The start of a line whose 0x0A has not arrived yet, as received. */
  #parts: Buffer[] = [];
  /** How many bytes #parts holds. */
  #length = 0;
  /** Set once a line was too long: the stream is out of step for good. */
  #failure: Error | undefined;

  constructor({ maxLineLength = MAX_LINE_LENGTH }: LineDecoderOptions = {}) {
    if (!Number.isSafeInteger(maxLineLength) || maxLineLength < 0) {
      throw new RangeError(`maxLineLength must be a whole number of bytes, not ${maxLineLength}`);
    }
    this.maxLineLength = maxLineLength;
  }

  /** How many bytes of an unfinished line the decoder holds. */
  get buffered(): number {
    return this.#length;
  }

  /**
   * Feeds the next chunk of the stream. Calls `onLine` once for each line
   * the chunk completes, in order, with the line's bytes (a fresh Buffer,
   * without the 0x0A). Keeps any unfinished line for the next call.
   *
   * Throws LineTooLongError as soon as a line is longer than maxLineLength,
   * before keeping its bytes. Lines completed earlier are delivered first,
   * so nothing before the bad line is lost. If `onLine` throws, the rest
   * of the chunk is dropped: treat the connection as broken.
   */
  push(chunk: Uint8Array, onLine: (line: Buffer) => void): void {
    if (this.#failure) throw this.#failure;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < bytes.length) {
      // Scan only the new bytes: rescanning what is already buffered would
      // make a long line fed one byte at a time cost O(n^2).
      const newline = bytes.indexOf(NEWLINE, start);
      const stop = newline === -1 ? bytes.length : newline;
      // Check the limit before keeping anything, so a peer that never sends
      // 0x0A costs at most maxLineLength bytes of memory.
      if (this.#length + (stop - start) > this.maxLineLength) {
        this.#parts = [];
        this.#length = 0;
        this.#failure = new LineTooLongError(this.maxLineLength);
        throw this.#failure;
      }
      if (newline === -1) {
        // The line goes on in a later chunk. Copy it: the caller may reuse
        // its chunk, and a few bytes must not pin a 64 KiB chunk in memory.
        this.#parts.push(Buffer.from(bytes.subarray(start)));
        this.#length += bytes.length - start;
        return;
      }
      // Buffer.concat copies, so the line is the caller's to keep.
      const line = Buffer.concat([...this.#parts, bytes.subarray(start, newline)]);
      this.#parts = [];
      this.#length = 0;
      start = newline + 1;
      onLine(line);
    }
  }

  /**
   * Call when the stream has ended. Throws IncompleteLineError if bytes
   * arrived after the last 0x0A: the peer stopped in the middle of a line.
   */
  end(): void {
    if (this.#failure) throw this.#failure;
    if (this.#length > 0) throw new IncompleteLineError(this.#length);
  }
}
