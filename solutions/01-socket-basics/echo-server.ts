// Lesson 01, task 1: a TCP echo server.
//
// Say you are checking that a network works end to end. The simplest
// server that proves it is an echo server: every byte a client sends comes
// straight back. Real tools still use it (RFC 862 defines one on port 7).
import { createServer, type Server } from 'node:net';

/**
 * Creates (but does not start) a TCP server that writes back every byte
 * each client sends, unchanged, for as long as the client stays connected.
 * A client that vanishes abruptly (ECONNRESET) must not crash the server.
 */
export function createEchoServer(): Server {
  return createServer((socket) => {
    // pipe() writes each chunk back and pauses reading while the client is
    // slow to read its echo (backpressure), so memory stays bounded.
    socket.pipe(socket);
    // Without an 'error' listener, one client's ECONNRESET would be thrown
    // as an uncaught exception and take the whole server down.
    socket.on('error', () => socket.destroy());
  });
}
