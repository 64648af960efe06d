// Lesson 06, task 3: one event loop serves every client at once.
//
// Say a thousand clients connect to your shout server. The tutorials would
// start a thousand threads (ThreadingTCPServer), each waiting in recv().
// Node needs none: one thread asks the kernel "which sockets are ready?"
// and runs a little code for each. Each connection is its own small loop
// of "read a line, send the reply", and none of them waits for another.
import { createServer, type Server, type Socket } from 'node:net';
import { LineTooLongError, MAX_LINE_BYTES, Refusal, readLines, refuse, send, shout } from './shout-protocol.ts';

export interface ShoutServerOptions {
  /** The longest request line, newline not counted. Default 1,024 (MAX_LINE_BYTES). */
  maxLineBytes?: number;
}

/**
 * Creates (but does not start) a shout server that serves every client at
 * the same time. Each client gets the replies to its own lines, in order.
 */
export function createShoutServer(options: ShoutServerOptions = {}): Server {
  // TODO: start from your task 1, without the queue: in the connection
  // handler, add an 'error' listener and start this client's own loop
  // (for await readLines(socket, maxLineBytes), await send(socket, shout(line)))
  // without awaiting it, so the handler returns at once. End the socket
  // when the loop ends; refuse(socket, Refusal.tooLong) on a LineTooLongError.
  throw new Error('TODO: write createShoutServer (task 3 in lessons/06-concurrent-servers/README.md)');
}
