import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { platform } from 'node:os';
import { describe, expect, it } from 'vitest';
import { HOST, useNetKit, withDeadline } from '../../runner/kit/index.ts';
import { SOMAXCONN_FILE, grantedBacklog, listenWithBacklog } from './listen-backlog.ts';

const kit = useNetKit();

const BURST = 20;

/** A server that answers nothing and ends each connection at once. */
function tracked(): Server {
  const server = kit.track(createServer((socket) => socket.end()));
  server.on('connection', (socket: Socket) => kit.track(socket));
  return server;
}

/** Starts BURST connects in one go and resolves with the milliseconds until all of them were connected. */
async function burst(port: number): Promise<number> {
  const start = performance.now();
  // All the connect() calls happen before the event loop runs again, so the
  // server cannot accept any of them until the whole burst has reached the
  // kernel: exactly a crowd arriving at once.
  const sockets = Array.from({ length: BURST }, () => kit.track(connect({ host: HOST, port })));
  await withDeadline(
    Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve, reject) => {
            socket.once('connect', () => resolve());
            socket.once('error', reject);
          }),
      ),
    ),
    { ms: 8_000, message: `not all ${BURST} clients of the burst connected` },
  );
  return performance.now() - start;
}

async function listening(backlog: number): Promise<{ server: Server; port: number }> {
  const server = tracked();
  const port = await withDeadline(
    Promise.resolve().then(() => listenWithBacklog(server, backlog)),
    {
      message: `listenWithBacklog(server, ${backlog}) never resolved`,
    },
  );
  expect(typeof port, 'listenWithBacklog must resolve with the port number').toBe('number');
  expect(server.listening, 'listenWithBacklog resolved, but the server is not listening').toBe(true);
  return { server, port };
}

const onLinux = platform() === 'linux';

describe('Task 2: the listen backlog', () => {
  it('listens on 127.0.0.1 and resolves with the port', async () => {
    const { server, port } = await listening(16);
    const address = server.address();
    expect(address !== null && typeof address === 'object' && address.address, 'listen on 127.0.0.1 only').toBe(HOST);
    expect(port).toBeGreaterThan(0);
  });

  it.skipIf(!onLinux)(
    `a burst of ${BURST} connections waits for SYN retries against backlog 5, not against backlog 64 (Linux)`,
    { timeout: 30_000 },
    async () => {
      // The same burst, twice, against the same kind of server: the only
      // difference is the backlog. Compared as a ratio, never in absolute ms.
      const small = await listening(5);
      const slow = await burst(small.port);
      const large = await listening(64);
      const fast = await burst(large.port);
      expect(
        slow / Math.max(fast, 1),
        `with backlog 5 the burst took ${slow.toFixed(0)} ms, with backlog 64 ${fast.toFixed(0)} ms. Against a queue of 5, the kernel should drop SYNs and the clients should wait about a second to retry: pass the backlog to listen()`,
      ).toBeGreaterThan(3);
    },
  );

  it('rejects a backlog that is not a whole number from 1 to 65,535', async () => {
    for (const backlog of [0, -5, 2.5, Number.NaN, 65_536]) {
      const server = tracked();
      const outcome = await Promise.resolve()
        .then(() => listenWithBacklog(server, backlog))
        .then(
          () => 'it resolved',
          (error: unknown) => error,
        );
      expect(outcome instanceof RangeError, `listenWithBacklog(server, ${backlog}) must reject with a RangeError`).toBe(
        true,
      );
      expect(server.listening, `after refusing backlog ${backlog}, the server must not listen`).toBe(false);
    }
  });

  it('rejects when the server cannot listen', async () => {
    const { server } = await listening(5);
    const outcome = await Promise.resolve()
      .then(() => listenWithBacklog(server, 5)) // already listening
      .then(
        () => 'it resolved',
        (error: unknown) => error,
      );
    expect(outcome instanceof Error, 'listening twice on one server must reject with its error').toBe(true);
  });

  it('says what backlog the kernel grants: at most net.core.somaxconn', () => {
    let somaxconn: number | undefined;
    try {
      somaxconn = Number.parseInt(readFileSync(SOMAXCONN_FILE, 'utf8'), 10);
    } catch {
      somaxconn = undefined; // not Linux: nothing caps the backlog we can see
    }
    for (const backlog of [1, 5, 128, 4096, 65_535]) {
      const expected = somaxconn === undefined ? backlog : Math.min(backlog, somaxconn);
      expect(
        grantedBacklog(backlog),
        `grantedBacklog(${backlog}) with somaxconn ${somaxconn ?? '(unknown)'} must be ${expected}`,
      ).toBe(expected);
    }
  });
});
