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
  // TODO: return createServer(...) with a connection handler that writes each
  // 'data' chunk back to the same socket and handles the socket's 'error' event.
  throw new Error('TODO: write createEchoServer (task 1 in lessons/01-socket-basics/README.md)');
}
