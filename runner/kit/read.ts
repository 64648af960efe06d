// Reading from a socket or stream in a lesson test: exactly n bytes, or
// everything until the peer ends, each with a deadline that says what was
// awaited.
import type { Readable } from 'node:stream';
import { DEFAULT_DEADLINE_MS, type Deadline, withDeadline } from './deadline.ts';

/** Options for reading from a socket: a deadline, and a cap on bytes kept. */
export interface ReadOptions extends Deadline {
  /** Stop with an error after this many bytes (guards against an endless sender). */
  maxBytes?: number;
}

/**
 * Collects everything `socket` sends until it ends its side (the 'end'
 * event), and resolves with the bytes. The default deadline message is
 * about a server; pass `message` to describe another peer.
 */
export function readUntilEnd(
  socket: Readable,
  { ms = DEFAULT_DEADLINE_MS, message, maxBytes = 64 * 1024 * 1024 }: ReadOptions = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  let cleanup = (): void => {};
  const ended = new Promise<Buffer>((resolve, reject) => {
    // A stream that has already ended will emit nothing more.
    if (socket.readableEnded) return resolve(Buffer.alloc(0));
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total > maxBytes) reject(new Error(`more than ${maxBytes} bytes arrived; the peer never stopped sending`));
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks));
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', reject);
    socket.once('close', onEnd);
    cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', reject);
      socket.off('close', onEnd);
    };
  });
  const said = (): string =>
    total === 0
      ? 'the server accepted the connection but never replied'
      : `the server sent ${total} bytes but never ended the connection`;
  return withDeadline(ended, { ms, message: message ?? said }).finally(() => cleanup());
}

/**
 * Resolves with exactly `n` bytes from `socket`. Any bytes after them stay
 * buffered in the socket for the next read, by this function or any other.
 */
export function readExactly(
  socket: Readable,
  n: number,
  { ms = DEFAULT_DEADLINE_MS, message }: Deadline = {},
): Promise<Buffer> {
  // Reads in paused mode ('readable' and read(n)) rather than with a 'data'
  // listener: a stream left flowing after its last 'data' listener is
  // removed drops whatever arrives next, bytes put back with unshift()
  // included. Once the 'readable' listener is removed, nothing more is
  // consumed until someone reads again.
  if (n <= 0) return Promise.resolve(Buffer.alloc(0));
  const short = (how: string, total: number): Error =>
    new Error(`the connection ${how} after ${total} of the ${n} bytes expected`);
  let cleanup = (): void => {};
  const got = new Promise<Buffer>((resolve, reject) => {
    const settle = (result: Buffer | Error): void => {
      cleanup();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onReadable = (): void => {
      const bytes = socket.read(n) as Buffer | null;
      if (bytes === null) return; // fewer than n bytes buffered: wait for more
      // At the end of the stream read(n) returns what is left, even if short.
      settle(bytes.length === n ? bytes : short('ended', bytes.length));
    };
    const onEnd = (): void => settle(short('ended', 0));
    const onClose = (): void => settle(short('closed', socket.readableLength));
    const onError = (error: Error): void => settle(error);
    cleanup = () => {
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    if (socket.readableEnded) return settle(short('ended', 0));
    if (socket.destroyed) return settle(socket.errored ?? short('closed', 0));
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onClose);
    socket.once('error', onError);
    onReadable(); // the bytes may be buffered already
  });
  return withDeadline(got, {
    ms,
    message: message ?? (() => `only ${socket.readableLength} of the ${n} expected bytes arrived`),
  }).finally(() => cleanup());
}
