// A TCP proxy that re-chunks what flows through it, for end-to-end tests
// between a real client and a real server. It can also coalesce bytes,
// tamper with one byte, or cut the connection part way.
import { Socket, createServer } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { HOST, type NetKit } from './net.ts';

/** Cuts one incoming chunk into the writes the proxy makes. */
export type Chunker = (bytes: Buffer) => Buffer[];

export interface DirectionOptions {
  /** How each incoming chunk is cut into writes (default: forwarded as is). */
  chunker?: Chunker;
  /** Hold bytes until this many have arrived (or the sender ends), then forward them as one write. */
  holdUntil?: number;
  /** Change bytes in transit: called with each chunk and the stream offset of its first byte. */
  tamper?: (chunk: Buffer, offset: number) => Buffer;
  /** Destroy both connections once this many bytes have been forwarded. */
  cutAfter?: number;
}

export interface ProxyOptions {
  toServer?: DirectionOptions;
  toClient?: DirectionOptions;
}

export interface Proxy {
  /** The port to connect to instead of the server's. */
  port: number;
  /** How many connections the proxy has accepted. */
  connections: number;
}

/**
 * Starts a proxy on 127.0.0.1:0 to 127.0.0.1:`targetPort`. Pieces of one
 * chunk are written on separate event-loop turns with Nagle off, so they
 * usually arrive as separate 'data' events; tests that need certainty feed
 * a decoder directly instead.
 */
export async function startProxy(kit: NetKit, targetPort: number, options: ProxyOptions = {}): Promise<Proxy> {
  const proxy: Proxy = { port: 0, connections: 0 };
  const server = createServer({ allowHalfOpen: true }, (client) => {
    proxy.connections++;
    kit.track(client);
    const upstream = kit.track(new Socket({ allowHalfOpen: true }));
    upstream.connect(targetPort, HOST);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    pump(client, upstream, options.toServer ?? {}, () => client.destroy());
    pump(upstream, client, options.toClient ?? {}, () => upstream.destroy());
  });
  proxy.port = await kit.listen(server);
  return proxy;
}

function pump(from: Socket, to: Socket, opts: DirectionOptions, cut: () => void): void {
  let offset = 0;
  let held: Buffer[] = [];
  let heldBytes = 0;
  let queue = Promise.resolve();

  const forward = async (chunk: Buffer): Promise<void> => {
    const pieces = opts.chunker ? opts.chunker(chunk) : [chunk];
    for (const [i, piece] of pieces.entries()) {
      if (to.destroyed) return;
      let out = opts.tamper ? opts.tamper(Buffer.from(piece), offset) : piece;
      if (opts.cutAfter !== undefined && offset + out.length >= opts.cutAfter) {
        out = out.subarray(0, opts.cutAfter - offset);
        if (out.length > 0) await write(to, out);
        offset += out.length;
        to.destroy();
        cut();
        return;
      }
      offset += out.length;
      await write(to, out);
      if (i < pieces.length - 1) await nextTurn();
    }
  };

  from.on('data', (chunk: Buffer) => {
    if (opts.holdUntil !== undefined && offset === 0) {
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < opts.holdUntil) return;
      chunk = Buffer.concat(held);
      held = [];
    }
    from.pause();
    queue = queue.then(() => forward(chunk)).finally(() => from.resume());
  });
  from.on('end', () => {
    queue = queue.then(async () => {
      if (held.length > 0) await forward(Buffer.concat(held));
      held = [];
      if (!to.destroyed) to.end();
    });
  });
}

function write(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.writableEnded) return resolve();
    socket.write(bytes, () => resolve());
  });
}
