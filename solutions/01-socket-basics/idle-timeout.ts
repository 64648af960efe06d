// Lesson 01, task 5: an echo server that hangs up on silent clients.
//
// Say your echo server from task 1 runs for weeks. Some clients crash, some
// lose their network, some just forget to close: their connections sit
// there, silent, each holding a file descriptor and some memory. A server
// that never hangs up on them runs out of both. So: a client silent for
// `idleMs` is cut off; a client that keeps talking is never cut.
import { createServer, type Server } from 'node:net';

/** The longest delay a Node timer can hold (a signed 32-bit number of ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Creates (but does not start) a TCP echo server (as in task 1) that
 * destroys each connection once it has been idle, with nothing read or
 * written, for `idleMs` milliseconds. Other connections are not affected.
 * Throws a RangeError unless 1 <= idleMs <= 2^31 - 1.
 */
export function createIdleEchoServer(idleMs: number): Server {
  // Check now, not when the first client connects: socket.setTimeout(0)
  // switches the idle timer off, and a negative, NaN or infinite delay
  // throws inside the connection handler, which crashes the whole server.
  if (!(idleMs >= 1 && idleMs <= MAX_TIMER_MS))
    throw new RangeError(`idleMs must be from 1 to ${MAX_TIMER_MS}, got ${idleMs}`);

  return createServer((socket) => {
    // The idle countdown restarts on every read and write, so only silence
    // lets it run out...
    socket.setTimeout(idleMs);
    // ...and when it does, Node only emits 'timeout': hanging up is our job.
    // destroy(), not end(): end() sends our FIN and then waits for the
    // client's, which a vanished or hostile client never sends.
    socket.on('timeout', () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
}
