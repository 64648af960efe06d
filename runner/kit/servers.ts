// Servers that play the other side for a client under test.
import { createServer, type Server, type Socket } from 'node:net';
import type { NetKit } from './net.ts';

/**
 * A server that reads the whole request (until the client's end()), then
 * calls `reply` with its socket and the request. allowHalfOpen keeps the
 * server's sending side open after the client's FIN, so it can still
 * answer. Every connection is tracked by `kit` and closed after the test.
 */
export function requestServer(kit: NetKit, reply: (socket: Socket, request: Buffer) => unknown): Server {
  return createServer({ allowHalfOpen: true }, (socket) => {
    kit.track(socket);
    const chunks: Buffer[] = [];
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => void reply(socket, Buffer.concat(chunks)));
  });
}
