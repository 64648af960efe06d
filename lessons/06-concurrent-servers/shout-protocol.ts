// Lesson 06: the shout protocol, shared by every task.
//
// Given complete: read it, don't change it. A request is one line ending
// in a newline (0x0a); the reply is one line too. "Wire format" in
// README.md says exactly which bytes go each way, and every refusal.
import { pbkdf2Sync } from 'node:crypto';
import type { Socket } from 'node:net';

/** The byte that ends every request and every reply: `\n`. */
export const NEWLINE = 0x0a;
/** The longest request line a server accepts by default, newline not counted. */
export const MAX_LINE_BYTES = 1024;
/** A request that starts with these 5 bytes asks for heavy work (task 4). */
export const HASH_PREFIX = 'HASH ';
/** The salt of every HASH reply: PBKDF2-HMAC-SHA256(secret, this, iterations, 32 bytes). */
export const HASH_SALT = 'lesson-06';
/** The iterations of a HASH reply unless the server says otherwise. */
export const DEFAULT_HASH_ITERATIONS = 100_000;
/** How long a refused client has to read the refusal before the server closes the socket. */
export const REFUSAL_GRACE_MS = 1_000;
/**
 * Task 7: the message a cluster's primary sends a worker to make it drain
 * and exit. It lives here, not in cluster-worker.ts: importing that file
 * would start its server in the primary too.
 */
export const SHUTDOWN_MESSAGE = 'shutdown';

/**
 * Every refusal a server sends, exactly. Each starts with `ERR ` and has
 * lower-case letters, which a shouted reply never has, so a client can
 * always tell a refusal from an answer.
 */
export const Refusal = {
  /** Task 4: every worker is busy; the connection stays open, ask again later. */
  busy: 'ERR busy\n',
  /** Task 5: the server already has `maxConnections` clients; then FIN. */
  full: 'ERR full\n',
  /** A request line longer than the limit; then FIN. */
  tooLong: 'ERR too long\n',
  /** Task 5: idle too long, or connected longer than the total deadline; then FIN. */
  timeout: 'ERR timeout\n',
} as const;

/** A request line was longer than the server's limit. */
export class LineTooLongError extends Error {
  override name = 'LineTooLongError';
}

/**
 * The reply to a plain line: the same bytes with `a`-`z` (0x61-0x7a) made
 * upper case (minus 0x20), every other byte unchanged, then a newline.
 * `shout(Buffer.from('hi!'))` is `48 49 21 0a` ("HI!\n").
 */
export function shout(line: Uint8Array): Buffer {
  const reply = Buffer.alloc(line.length + 1);
  for (let i = 0; i < line.length; i++) {
    const byte = line[i]!;
    reply[i] = byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte;
  }
  reply[line.length] = NEWLINE;
  return reply;
}

const HASH_PREFIX_BYTES = Buffer.from(HASH_PREFIX, 'latin1');

/** The secret of a `HASH <secret>` request, or undefined for a plain line. */
export function hashSecret(line: Buffer): Buffer | undefined {
  const prefix = line.subarray(0, HASH_PREFIX_BYTES.length);
  return Buffer.compare(prefix, HASH_PREFIX_BYTES) === 0 ? line.subarray(HASH_PREFIX_BYTES.length) : undefined;
}

/** The reply to a HASH request: 64 lower-case hex digits of the digest, then a newline. */
export function hashReply(digest: Buffer): Buffer {
  return Buffer.from(`${digest.toString('hex')}\n`, 'latin1');
}

/**
 * The digest a HASH reply carries, computed the blocking way. It is here
 * for tests and for showing the trap: never call it inside a server (task 4).
 */
export function expectedDigest(secret: Buffer, iterations = DEFAULT_HASH_ITERATIONS): Buffer {
  return pbkdf2Sync(secret, HASH_SALT, iterations, 32, 'sha256');
}

/**
 * Cuts a stream of bytes into lines, chunk by chunk: readLines() uses one,
 * and so does a server that reads its socket with 'data' events (task 3).
 * Keep one per connection: it holds the start of a line whose newline has
 * not arrived yet (at most `maxLineBytes`).
 */
export class LineSplitter {
  readonly maxLineBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(maxLineBytes = MAX_LINE_BYTES) {
    this.maxLineBytes = maxLineBytes;
  }

  /**
   * The lines that `chunk` completes, in order, without their newlines.
   * Throws LineTooLongError as soon as a line passes `maxLineBytes`. Take
   * every line of one chunk before you give it the next one: the bytes of a
   * chunk you stop reading halfway are dropped.
   */
  *lines(chunk: Buffer): Generator<Buffer> {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, end);
      if (this.#pendingBytes + piece.length > this.maxLineBytes) throw tooLong(this.maxLineBytes);
      const line = this.#pendingBytes === 0 ? piece : Buffer.concat([...this.#pending, piece]);
      this.#pending = [];
      this.#pendingBytes = 0;
      start = end + 1;
      yield line;
    }
    const rest = chunk.subarray(start);
    if (this.#pendingBytes + rest.length > this.maxLineBytes) throw tooLong(this.maxLineBytes);
    if (rest.length > 0) {
      this.#pending.push(rest);
      this.#pendingBytes += rest.length;
    }
  }
}

/**
 * Reads `socket` one request line at a time (without its newline), for a
 * server written as a `for await` loop. It reads the socket only when you
 * ask for the next line, so a client that sends faster than you answer
 * waits in its own buffers, not in your memory. Throws LineTooLongError as
 * soon as a line passes `maxLineBytes`. Bytes after the last newline, when
 * the client ends, are not a request and are dropped. Stopping the loop
 * early (break, return) leaves the socket open: close it yourself.
 */
export async function* readLines(socket: Socket, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<Buffer> {
  const splitter = new LineSplitter(maxLineBytes);
  for await (const chunk of socket.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    for (const line of splitter.lines(chunk)) yield line;
  }
}

function tooLong(maxLineBytes: number): LineTooLongError {
  return new LineTooLongError(`a request line passed ${maxLineBytes} bytes without a newline`);
}

/**
 * Writes `bytes`, and when the socket's buffer is full, waits until it has
 * drained. Rejects if the socket closes first. Awaiting it after every
 * reply keeps what you hold for a slow reader bounded.
 */
export function send(socket: Socket, bytes: Uint8Array | string): Promise<void> {
  if (socket.destroyed) return Promise.reject(new Error('the socket is closed'));
  if (socket.write(bytes)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      socket.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      socket.off('drain', onDrain);
      reject(new Error('the socket closed before its buffer drained'));
    };
    socket.once('drain', onDrain);
    socket.once('close', onClose);
  });
}

/**
 * Sends a refusal and ends the connection: the refusal, then FIN. Whatever
 * the client still sends is read and dropped (closing with unread bytes
 * would send a reset, which can destroy the refusal before the client
 * reads it), and after REFUSAL_GRACE_MS the socket is destroyed whatever
 * the client does. Does nothing on a socket that is already ending.
 */
export function refuse(socket: Socket, refusal: (typeof Refusal)[keyof typeof Refusal]): void {
  if (socket.destroyed || socket.writableEnded) return; // already refused, or already ending: one refusal is enough
  socket.end(refusal);
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
