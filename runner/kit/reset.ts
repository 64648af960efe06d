// The "a client resets its connection" step that every server's tests take:
// one client vanishing with a TCP RST (ECONNRESET at the server) must not
// crash a server, and the server must notice.
import type { Socket } from 'node:net';
import { expect } from 'vitest';
import { type Deadline, nextEvent } from './deadline.ts';

/**
 * Checks that the server listens for 'error' on its side of the connection,
 * resets the connection from the client's side, and resolves once the
 * server's side has closed.
 */
export async function resetClient(client: Socket, serverSide: Socket, deadline: Deadline = {}): Promise<void> {
  expect(
    serverSide.listenerCount('error'),
    "your server does not listen for 'error' on the client's socket: one client resetting the connection would crash it",
  ).toBeGreaterThan(0);
  const closed = nextEvent(serverSide, 'close', {
    message: 'the server never noticed that the client reset the connection',
    ...deadline,
  });
  client.resetAndDestroy();
  await closed;
}
