// Lesson 01, task 5: an echo server that hangs up on silent clients.
//
// Say your echo server from task 1 runs for weeks. Some clients crash, some
// lose their network, some just forget to close: their connections sit
// there, silent, each holding a file descriptor and some memory. A server
// that never hangs up on them runs out of both. So: a client silent for
// `idleMs` is cut off; a client that keeps talking is never cut.
import { createServer, type Server } from 'node:net';

/**
 * Creates (but does not start) a TCP echo server (as in task 1) that
 * destroys each connection once it has been idle, with nothing read or
 * written, for `idleMs` milliseconds. Other connections are not affected.
 * Throws a RangeError unless 1 <= idleMs <= 2^31 - 1.
 */
export function createIdleEchoServer(idleMs: number): Server {
  // TODO: throw a RangeError unless 1 <= idleMs <= 2 ** 31 - 1 (why: see "Timeouts" in the README).
  // TODO: return an echo server (as in task 1) whose connection handler also calls
  // socket.setTimeout(idleMs) and decides what to do on the socket's 'timeout' event.
  throw new Error('TODO: write createIdleEchoServer (task 5 in lessons/01-socket-basics/README.md)');
}
