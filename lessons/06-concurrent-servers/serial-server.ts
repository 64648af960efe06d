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
  // TODO: create the server with { pauseOnConnect: true }, so that Node
  // reads nothing from a new client until you resume it. Give each socket an
  // 'error' listener, put it in a queue, and serve the queue one client at a
  // time: for await (const line of readLines(socket)) await send(socket, shout(line)),
  // then socket.end(), then the next client. A LineTooLongError gets
  // refuse(socket, Refusal.tooLong) (task 1 in the README).
  throw new Error('TODO: write createSerialServer (task 1 in lessons/06-concurrent-servers/README.md)');
}
