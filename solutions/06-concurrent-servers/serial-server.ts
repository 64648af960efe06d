// Lesson 06, task 1: a server that serves one client at a time.
//
// Say you translate the tutorials' server to Node line by line: accept a
// client, talk to it until it leaves, then accept the next. It works, and
// then a second user connects and waits, and waits. This task builds that
// server on purpose, so that you can see what the real limit was: not TCP,
// but a loop that serves one client before it looks at the next.
import { createServer, type Server, type Socket } from 'node:net';
import { LineTooLongError, Refusal, readLines, refuse, send, shout } from './shout-protocol.ts';

/**
 * Creates (but does not start) a shout server that serves one client at a
 * time, in the order they connected. Other clients are accepted by the
 * kernel and wait, unread, until every client before them has left.
 */
export function createSerialServer(): Server {
  const waiting: Socket[] = [];
  let serving = false;

  const serveWaiting = async (): Promise<void> => {
    if (serving) return; // the loop below is already running
    serving = true;
    for (let next = waiting.shift(); next !== undefined; next = waiting.shift()) {
      if (!next.destroyed) await serveOne(next);
    }
    serving = false;
  };

  // pauseOnConnect: Node accepts every connection at once, but reads
  // nothing from it until we resume it. That is Python's accept loop: the
  // client is connected, its bytes wait in the kernel, nobody reads them.
  // allowHalfOpen: a client may send its lines and end its side at once; it still gets every reply.
  return createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
    socket.on('error', () => socket.destroy()); // a waiting client may reset
    waiting.push(socket);
    void serveWaiting();
  });
}

/** Shouts back every line of one client until it ends its side; resolves when it is done with it. */
async function serveOne(socket: Socket): Promise<void> {
  try {
    for await (const line of readLines(socket)) await send(socket, shout(line));
    socket.end();
  } catch (error) {
    if (error instanceof LineTooLongError) refuse(socket, Refusal.tooLong);
    else socket.destroy();
  }
}
