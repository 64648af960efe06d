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
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  // allowHalfOpen: a client may send its lines and end its side at once; it still gets every reply.
  return createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => socket.destroy()); // one client's reset must not crash the others
    // Not awaited: the handler returns at once, and this client's loop
    // runs whenever its socket has bytes, beside every other client's.
    void serve(socket, maxLineBytes);
  });
}

async function serve(socket: Socket, maxLineBytes: number): Promise<void> {
  try {
    // One request at a time per client, so its replies stay in order; and
    // `await send()` stops reading while a client does not read its replies.
    for await (const line of readLines(socket, maxLineBytes)) await send(socket, shout(line));
    socket.end();
  } catch (error) {
    if (error instanceof LineTooLongError) refuse(socket, Refusal.tooLong);
    else socket.destroy();
  }
}
