// Lesson 01, task 2: a request client.
//
// Say you are writing a small command-line tool that asks a server one
// question and prints the answer: connect, send the question, say "that is
// all" (half-close), read the whole answer until the server ends, hang up.
// The answer may arrive in many pieces, and the server may refuse the
// connection or reset it: each case gets a clear error. (Task 3 adds the
// limits: a deadline and a cap on the reply's size.)
import { connect } from 'node:net';

// #region options
export interface RequestOptions {
  /** The server's IP address. Default '127.0.0.1'. */
  host?: string;
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
 * listens), 'ECONNRESET' or 'EPIPE' (the server reset the connection, even
 * part way through the reply), or another system code; its message names
 * host:port. Always destroys the socket when it rejects.
 */
export function request(port: number, payload: Uint8Array, options: RequestOptions = {}): Promise<Buffer> {
  const { host = '127.0.0.1' } = options;
  const where = `${host}:${port}`;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];

    // Writes made before the connection is up are queued, so the request
    // can be sent and the sending side closed (FIN) right away.
    const socket = connect({ host, port });
    socket.end(payload);

    // A reply may come in any number of 'data' events, of any sizes: keep
    // them all, and join them once the server ends.
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));

    // 'end': the server sent its FIN, so the reply is complete. (Our side
    // is already ended, so the socket now closes by itself.)
    socket.on('end', () => resolve(Buffer.concat(chunks)));

    // 'error' comes instead of 'end' when something went wrong. Node's own
    // messages ("read ECONNRESET") do not say which server, so add it, and
    // keep Node's error as the cause. destroy() frees the socket at once.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      reject(new RequestError(describeFailure(error, where), error.code ?? 'ERR_REQUEST', { cause: error }));
    });
  });
}

/** Says what went wrong in the learner's terms, naming the server. */
export function describeFailure(error: NodeJS.ErrnoException, where: string): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection: is the server running on that port?`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `${where} reset the connection`;
    default:
      return `the request to ${where} failed: ${error.message}`;
  }
}
