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
  // TODO: add private fields for the start of a line whose 0x0A has not
  // arrived yet (for example an array of Buffers and their total length),
  // and for remembering that a line was too long.

  constructor({ maxLineLength = MAX_LINE_LENGTH }: LineDecoderOptions = {}) {
    if (!Number.isSafeInteger(maxLineLength) || maxLineLength < 0) {
      throw new RangeError(`maxLineLength must be a whole number of bytes, not ${maxLineLength}`);
    }
    this.maxLineLength = maxLineLength;
  }

  /** How many bytes of an unfinished line the decoder holds. */
  get buffered(): number {
    // TODO: return the length of the unfinished line you are keeping.
    throw new Error('TODO: write the buffered getter (task 1 in lessons/02-sticky-packets/README.md)');
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
    // TODO: find each 0x0A in the chunk (Buffer's indexOf). Before keeping
    // any bytes, check that the line so far is not longer than
    // maxLineLength; if it is, throw a LineTooLongError (and keep throwing
    // it on later calls). For each complete line, call onLine with the
    // kept bytes plus the bytes before the 0x0A. Keep what follows the last
    // 0x0A for the next call.
    throw new Error('TODO: write LineDecoder.push (task 1 in lessons/02-sticky-packets/README.md)');
  }

  /**
   * Call when the stream has ended. Throws IncompleteLineError if bytes
   * arrived after the last 0x0A: the peer stopped in the middle of a line.
   */
  end(): void {
    // TODO: throw an IncompleteLineError if part of a line is still kept.
    throw new Error('TODO: write LineDecoder.end (task 1 in lessons/02-sticky-packets/README.md)');
  }
}
