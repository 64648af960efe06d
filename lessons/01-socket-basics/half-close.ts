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
  // TODO: return createServer(options, (socket) => { ... }), where the connection handler:
  //   - collects the 'data' chunks, and destroys the socket as soon as more than maxRequestBytes arrived;
  //   - on 'end', awaits handle(request), then sends the reply with socket.end(reply),
  //     or destroys the socket if handle throws;
  //   - listens for 'error' on the socket.
  // For `options`, read "Half-close and allowHalfOpen" in the README: one option decides
  // whether your reply can still be sent after the client's end().
  throw new Error('TODO: write createHalfCloseServer (task 4 in lessons/01-socket-basics/README.md)');
}
