// Lesson 01, task 2: a request client.
//
// Say you are writing a small command-line tool that asks a server one
// question and prints the answer: connect, send the question, say "that is
// all" (half-close), read the whole answer until the server ends, hang up.
// The answer may arrive in many pieces, and the server may refuse, reset
// the connection, or never answer at all: each case gets a clear error.
import { connect } from 'node:net';

// #region options
export interface RequestOptions {
  /** Give up after this many milliseconds for the whole request (connect, send, reply). Default 10,000. */
  timeoutMs?: number;
  /** The server's IP address. Default '127.0.0.1'. */
  host?: string;
  /** Give up if the reply grows past this many bytes. Default 16 MiB. */
  maxReplyBytes?: number;
}
// #endregion options

/** What `request` rejects with: `code` says what went wrong, the message says where. */
export class RequestError extends Error {
  override name = 'RequestError';
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The longest delay a Node timer accepts; longer ones silently become 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Connects to `host`:`port`, sends `payload`, half-closes (end()), and
 * resolves with every byte the server sends until it ends the connection.
 *
 * Rejects with a RequestError whose `code` is 'ECONNREFUSED' (nothing
 * listens), 'ECONNRESET' (the server reset the connection, even part way
 * through the reply), 'ETIMEDOUT' (no complete reply within `timeoutMs`),
 * 'ERR_REPLY_TOO_LARGE' (more than `maxReplyBytes`), or another system code;
 * its message names host:port. Rejects with a RangeError for a bad port or
 * option. Never throws synchronously; always destroys the socket it opened.
 */
export async function request(port: number, payload: Uint8Array, options: RequestOptions = {}): Promise<Buffer> {
  const { timeoutMs = 10_000, host = '127.0.0.1', maxReplyBytes = 16 * 1024 * 1024 } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new RangeError(`port must be an integer from 1 to 65535, got ${port}`);
  if (!(timeoutMs >= 1 && timeoutMs <= MAX_TIMER_MS))
    throw new RangeError(`timeoutMs must be from 1 to ${MAX_TIMER_MS}, got ${timeoutMs}`);
  if (!Number.isInteger(maxReplyBytes) || maxReplyBytes < 0)
    throw new RangeError(`maxReplyBytes must be a whole number, got ${maxReplyBytes}`);

  const where = `${host}:${port}`;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;

    // Writes made before the connection is up are queued, so the request
    // can be sent and the sending side closed (FIN) right away.
    const socket = connect({ host, port });
    socket.end(payload);

    // The one way out on failure: stop the timer, free the socket, reject.
    // destroy() matters: a rejected promise alone leaves the socket open.
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };

    // One deadline for the whole request. socket.setTimeout would be the
    // wrong tool: it only measures silence (a server sending one byte a
    // second would keep us forever), and it only emits 'timeout'.
    const timer = setTimeout(() => {
      fail(
        new RequestError(
          `no complete reply from ${where} within ${timeoutMs} ms (${received} bytes so far)`,
          'ETIMEDOUT',
        ),
      );
    }, timeoutMs);

    // A reply may come in any number of 'data' events, of any sizes: keep
    // them all, up to the cap, and join them once the server ends.
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxReplyBytes) {
        fail(new RequestError(`the reply from ${where} is larger than ${maxReplyBytes} bytes`, 'ERR_REPLY_TOO_LARGE'));
        return;
      }
      chunks.push(chunk);
    });

    // 'end': the server sent its FIN, so the reply is complete. (Our side
    // is already ended, so the socket now closes by itself.)
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks, received));
    });

    // 'error' comes instead of 'end' when something went wrong; Node's own
    // messages ("read ECONNRESET") do not say which server, so add it.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      fail(new RequestError(describe(error, where, received), error.code ?? 'ERR_REQUEST', { cause: error }));
    });
  });
}

function describe(error: NodeJS.ErrnoException, where: string, received: number): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection: is the server running on that port?`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `${where} reset the connection after ${received} bytes of the reply`;
    default:
      return `the request to ${where} failed: ${error.message}`;
  }
}
