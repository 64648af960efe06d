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
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  // allowHalfOpen: a client may send its lines and end its side at once; it still gets every reply.
  return createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => socket.destroy()); // one client's reset must not crash the others
    // Everything this client needs lives here, in its own connection
    // handler: its unfinished line, and nothing shared with anyone else.
    const splitter = new LineSplitter(maxLineBytes);

    socket.on('data', (chunk: Buffer) => {
      if (socket.writableEnded) return; // refused: what it still sends is read and dropped
      const replies: Buffer[] = [];
      let tooLong = false;
      try {
        for (const line of splitter.lines(chunk)) replies.push(shout(line));
      } catch (error) {
        if (!(error instanceof LineTooLongError)) throw error;
        tooLong = true; // the lines before it still get their replies
      }
      // One write for the whole chunk. When it does not fit in the
      // socket's buffer (write returns false), stop reading this client
      // until the buffer drains: a client that never reads its replies
      // then waits in its own buffers, not in this server's memory.
      if (replies.length > 0 && !socket.write(Buffer.concat(replies))) socket.pause();
      if (tooLong) refuse(socket, Refusal.tooLong);
    });
    socket.on('drain', () => socket.resume());
    // The client has sent FIN: every whole line is answered (the bytes of
    // an unfinished one are not a request), so end our side too.
    socket.on('end', () => socket.end());
  });
}
