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
  // TODO: before connecting, throw a RangeError unless port is a whole number from 1 to 65535,
  // timeoutMs is from 1 to 2 ** 31 - 1, and maxReplyBytes is a whole number >= 0.
  // TODO: return a new Promise that:
  //   - opens the connection with connect({ host, port }) and sends the payload with end(payload);
  //   - keeps every 'data' chunk (a reply can come in many pieces) and resolves with them all on 'end';
  //   - rejects with a RequestError naming `${host}:${port}` on 'error', on a reply over maxReplyBytes,
  //     and when timeoutMs has passed (a setTimeout you start yourself, for the whole request:
  //     socket.setTimeout would restart at every byte, so a slow trickle would never time out);
  //   - destroys the socket whenever it rejects.
  throw new Error('TODO: write request (task 2 in lessons/01-socket-basics/README.md)');
}
