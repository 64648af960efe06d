// Lesson 06, task 3: one event loop serves every client at once.
//
// Say a thousand clients connect to your shout server. The tutorials would
// start a thousand threads (ThreadingTCPServer), each waiting in recv().
// Node needs none: one thread asks the kernel "which sockets are ready?"
// and runs a little code for each. Here that code is the event loop's own
// kind: a 'data' callback that answers the lines in one chunk and returns.
import { createServer, type Server } from 'node:net';
import { LineSplitter, LineTooLongError, MAX_LINE_BYTES, Refusal, refuse, shout } from './shout-protocol.ts';

export interface ShoutServerOptions {
  /** The longest request line, newline not counted. Default 1,024 (MAX_LINE_BYTES). */
  maxLineBytes?: number;
}

/**
 * Creates (but does not start) a shout server that serves every client at
 * the same time. Each client gets the replies to its own lines, in order.
 */
export function createShoutServer(options: ShoutServerOptions = {}): Server {
  // TODO: in the connection handler, add an 'error' listener and one
  // LineSplitter for this client. On 'data', shout every line of
  // splitter.lines(chunk) and send the replies in one socket.write(); when
  // write() returns false, socket.pause(), and socket.resume() on 'drain'.
  // On a LineTooLongError, refuse(socket, Refusal.tooLong) after the replies
  // to the lines before it. On 'end', socket.end() (task 3 in the README).
  throw new Error('TODO: write createShoutServer (task 3 in lessons/06-concurrent-servers/README.md)');
}
