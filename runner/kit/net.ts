// Sockets and servers for lesson tests: port 0 on 127.0.0.1, readiness
// awaited (never slept for), everything closed after each test.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { afterEach } from 'vitest';
import { type Deadline, nextEvent, withDeadline } from './deadline.ts';

export const HOST = '127.0.0.1';

// Streams (a ScriptedPeer, say) are closed with destroy(), like sockets.
type Closeable = Server | Socket | UdpSocket | Readable | Writable | { close(): unknown };

/**
 * Everything a test opens, closed after the test whatever its outcome.
 * Call `useNetKit()` once at the top of a test file.
 */
export class NetKit {
  readonly #open = new Set<Closeable>();
  /** Servers this kit started listening (listen() on one again returns its port). */
  readonly #started = new WeakSet<Server>();

  /** Registers something to close after the test; returns it. */
  track<T extends Closeable>(thing: T): T {
    if (isServer(thing) && !this.#open.has(thing)) {
      // server.close() waits for every accepted connection to end, and the
      // code under test may hold one open: track those too, to close them.
      thing.on('connection', (socket: Socket) => this.#open.add(socket));
    }
    this.#open.add(thing);
    return thing;
  }

  /**
   * Starts `server` on 127.0.0.1 with an ephemeral port and resolves with
   * that port once the server is listening.
   */
  async listen(server: Server, deadline: Deadline = {}): Promise<number> {
    this.track(server);
    // The server's side of each connection is closed after the test too, so
    // that a learner's server that never ends a connection cannot stall cleanup.
    server.on('connection', (socket: Socket) => this.track(socket));
    if (server.listening && this.#started.has(server)) return portOf(server);
    if (server.listening) {
      // The learner's code chose where to listen (a fixed port, say): the
      // test would pass here and fail wherever that port is taken.
      throw new Error(
        `your server is already listening (on ${describeAddress(server)}), but the test starts it: return the server without calling listen(), and the test listens on a free port`,
      );
    }
    this.#started.add(server);
    server.listen(0, HOST);
    await nextEvent(server, 'listening', { message: 'the server did not start listening', ...deadline });
    return portOf(server);
  }

  /**
   * For code that listens itself: calls `start(port)` with a free port on
   * 127.0.0.1, waits until the server it returns is listening, and checks it
   * listens on that port (not a fixed one). Resolves with the port.
   */
  async serve(start: (port: number) => Server | Promise<Server>, deadline: Deadline = {}): Promise<number> {
    const port = await freePort();
    const server = this.track(await start(port));
    server.on('connection', (socket: Socket) => this.track(socket));
    if (!server.listening) {
      await nextEvent(server, 'listening', {
        message: `your server did not start listening on port ${port}, the port the test gave it`,
        ...deadline,
      });
    }
    const actual = portOf(server);
    if (actual !== port) {
      throw new Error(
        `your server listened on ${describeAddress(server)}, but the test gave it port ${port}: listen on the port you are given. A fixed port may be taken by another program, and two copies of your server could not run at once.`,
      );
    }
    return port;
  }

  /** Connects to 127.0.0.1:`port` and resolves once connected. */
  async connect(port: number, options: { allowHalfOpen?: boolean } & Deadline = {}): Promise<Socket> {
    const socket = this.track(tcpConnect({ host: HOST, port, allowHalfOpen: options.allowHalfOpen ?? false }));
    await nextEvent(socket, 'connect', { message: `could not connect to 127.0.0.1:${port}`, ...options });
    return socket;
  }

  /** A UDP socket bound to an ephemeral port on 127.0.0.1. */
  async udp(deadline: Deadline = {}): Promise<UdpSocket> {
    const socket = this.track(createSocket('udp4'));
    socket.bind(0, HOST);
    await nextEvent(socket, 'listening', { message: 'the UDP socket did not bind', ...deadline });
    return socket;
  }

  /** Closes everything opened since the last cleanup. Safe to call twice. */
  async closeAll(): Promise<void> {
    const things = [...this.#open];
    this.#open.clear();
    await Promise.all(things.map(closeQuietly));
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the system picks it). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, HOST);
  await nextEvent(probe, 'listening', { message: 'could not find a free port' });
  const port = portOf(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server is not listening on a TCP port');
  return address.port;
}

function describeAddress(server: Server): string {
  const address = server.address();
  if (address === null) return 'no address';
  return typeof address === 'string' ? address : `${address.address}:${address.port}`;
}

/** Creates a NetKit whose sockets and servers are closed after each test. */
export function useNetKit(): NetKit {
  const kit = new NetKit();
  afterEach(() => kit.closeAll());
  return kit;
}

/** Closes a server or socket without throwing; resolves when it is closed, or after 1 s. */
export async function closeQuietly(thing: Closeable): Promise<void> {
  const done = new Promise<void>((resolve) => {
    try {
      if (isServer(thing)) {
        thing.closeAllConnections?.();
        if (!thing.listening) return resolve();
        thing.close(() => resolve());
      } else if ('destroy' in thing && typeof thing.destroy === 'function') {
        if (thing.destroyed) return resolve();
        thing.once('close', () => resolve());
        thing.destroy();
      } else if (isUdp(thing)) {
        thing.close(() => resolve());
      } else {
        Promise.resolve((thing as { close(): unknown }).close()).then(
          () => resolve(),
          () => resolve(),
        );
      }
    } catch {
      resolve(); // already closed
    }
  });
  // A server with a connection the learner's code still holds would make
  // close() wait forever; never let cleanup hang the run.
  await withDeadline(done, { ms: 1_000, message: 'cleanup' }).catch(() => {});
}

function isServer(thing: Closeable): thing is Server & { closeAllConnections?: () => void } {
  return typeof (thing as Server).getConnections === 'function';
}

function isUdp(thing: Closeable): thing is UdpSocket {
  return typeof (thing as UdpSocket).send === 'function' && typeof (thing as UdpSocket).addMembership === 'function';
}
