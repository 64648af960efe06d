// Lesson 01, task 4: a request/reply server that waits for the whole request.
//
// Say you are writing the server side of task 2: a client sends a request
// and calls end() to say "that is all"; the server works on it (looks
// something up, asks a database: anything asynchronous), then sends the
// reply and ends. The client's end() closes only its sending side, so the
// reply can still travel back: this is a half-close.
import { createServer, type Server } from 'node:net';

/** Turns one whole request into its reply, asynchronously. */
export type Handler = (request: Buffer) => Promise<Uint8Array>;

export interface HalfCloseServerOptions {
  /** The largest request accepted, in bytes. Default 1 MiB. */
  maxRequestBytes?: number;
}

/**
 * Creates (but does not start) a TCP server that, for each connection,
 * reads the request until the client ends its side, awaits
 * `handle(request)`, writes the reply, and ends the connection.
 *
 * - A request over `maxRequestBytes`: the connection is destroyed at once,
 *   and `handle` is never called.
 * - `handle` throws or rejects: the connection is destroyed without a reply.
 * - The client vanishes (ECONNRESET) at any point: that connection is
 *   dropped; the server and its other clients carry on.
 */
export function createHalfCloseServer(
  handle: Handler,
  { maxRequestBytes = 1024 * 1024 }: HalfCloseServerOptions = {},
): Server {
  if (!Number.isInteger(maxRequestBytes) || maxRequestBytes < 0)
    throw new RangeError(`maxRequestBytes must be a whole number, got ${maxRequestBytes}`);

  // allowHalfOpen: the client's FIN ends only our reading side. Without it,
  // Node ends our sending side too, as soon as the request has been read,
  // and a reply written after any asynchronous work fails with EPIPE
  // ("This socket has been ended by the other party"): the client gets nothing.
  return createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    let size = 0;

    // ECONNRESET and friends: drop this connection, keep the server.
    socket.on('error', () => socket.destroy());

    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Check the size before keeping the bytes, so a client cannot make
      // us hold more than the limit. A destroyed socket emits no 'end'.
      if (size > maxRequestBytes) {
        socket.destroy();
        return;
      }
      chunks.push(chunk);
    });

    // 'end': the client has sent its FIN, so the request is complete.
    socket.on('end', async () => {
      try {
        const reply = await handle(Buffer.concat(chunks, size));
        // end(reply) writes the reply, then our FIN. If the client has gone
        // meanwhile, the socket is destroyed and this quietly does nothing.
        socket.end(reply);
      } catch {
        // No framing means no way to send an error message the client could
        // tell from a reply; closing without a reply is the clear signal.
        socket.destroy();
      }
    });
  });
}
