import type { Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { expectBytes, nextEvent, useNetKit } from '../../runner/kit/index.ts';
import { createGuardedServer, type GuardedServerOptions } from './guarded-server.ts';
import { LineClient } from './line-client.ts';

const kit = useNetKit();

// Limits the tests never reach, unless a test sets its own.
const RELAXED: GuardedServerOptions = { maxConnections: 1_000, idleMs: 10_000, totalMs: 10_000 };

/** Connects a client and resolves with it and the server's side of its connection. */
async function pair(server: Server, port: number): Promise<{ client: LineClient; serverSide: Socket }> {
  const accepted = nextEvent<[Socket]>(server, 'connection', { message: 'your server never accepted the connection' });
  const client = new LineClient(await kit.connect(port));
  const [serverSide] = await accepted;
  return { client, serverSide };
}

async function start(options: GuardedServerOptions): Promise<{ server: Server; port: number }> {
  const server = createGuardedServer({ ...RELAXED, ...options });
  return { server, port: await kit.listen(server) };
}

describe('Task 5: limits a client cannot get past', () => {
  it('shouts back like the server of task 3', async () => {
    const { server, port } = await start({});
    const { client } = await pair(server, port);
    expectBytes(await client.ask('hello'), 'HELLO\n', 'the reply to "hello"');
  });

  it('answers the connection over maxConnections with "ERR full", then FIN', async () => {
    const { server, port } = await start({ maxConnections: 2 });
    const first = await pair(server, port);
    const second = await pair(server, port);
    await first.client.ask('one');
    await second.client.ask('two');
    const { client: third } = await pair(server, port);
    expectBytes(
      await third.next({ message: 'the third client (maxConnections 2) got no reply: refuse it with "ERR full\\n"' }),
      'ERR full\n',
      'the reply to the connection over the limit',
    );
    await third.closed({ message: 'your server said "ERR full" but never closed the connection' });
    expect(third.endedBy, 'after "ERR full" your server must end with FIN, not a reset').toBe('end');
  });

  it('serves a new client once one has left', async () => {
    const { server, port } = await start({ maxConnections: 1 });
    const first = await pair(server, port);
    await first.client.ask('one');
    first.client.socket.end();
    await nextEvent(first.serverSide, 'close', { message: 'the first client left, but your server kept its socket' });
    const { client: next } = await pair(server, port);
    expectBytes(
      await next.ask('my turn', {
        message: 'a client left, but your server still refuses others: count down on close',
      }),
      'MY TURN\n',
      'the reply to the client after one left',
    );
  });

  it('serves exactly maxConnections of 50 clients that connect at once', async () => {
    const { port } = await start({ maxConnections: 10 });
    const clients = await Promise.all(Array.from({ length: 50 }, async () => new LineClient(await kit.connect(port))));
    clients.forEach((c, i) => c.socket.write(`client ${i}\n`));
    const replies = await Promise.all(clients.map((c) => c.next().then(String)));
    const full = replies.filter((r) => r === 'ERR full\n').length;
    const served = replies.filter((r, i) => r === `CLIENT ${i}\n`).length;
    expect({ served, full }, `50 clients with maxConnections 10: got ${served} served and ${full} "ERR full"`).toEqual({
      served: 10,
      full: 40,
    });
  });

  it('closes a refused client that never reads and never closes', async () => {
    const { server, port } = await start({ maxConnections: 1 });
    await pair(server, port);
    const { client: stubborn, serverSide } = await pair(server, port);
    stubborn.socket.pause(); // never reads the refusal, never ends
    await nextEvent(serverSide, 'close', {
      ms: 5_000,
      message: 'your server refused a client that never reads, but kept its socket open: refuse() closes it for you',
    });
  });

  it('says "ERR timeout" and closes a client that stays silent for idleMs', async () => {
    const { server, port } = await start({ idleMs: 150 });
    const { client, serverSide } = await pair(server, port);
    expectBytes(
      await client.next({ ms: 3_000, message: 'a silent client (idleMs 150) was never told "ERR timeout\\n"' }),
      'ERR timeout\n',
      'the reply to a silent client',
    );
    await nextEvent(serverSide, 'close', { ms: 3_000, message: 'your server said "ERR timeout" but kept the socket' });
  });

  it('closes a slowloris client, one byte every 20 ms, at totalMs', { timeout: 20_000 }, async () => {
    const { server, port } = await start({ idleMs: 2_000, totalMs: 300 });
    const { client, serverSide } = await pair(server, port);
    const closed = nextEvent(serverSide, 'close', {
      ms: 8_000,
      message:
        'a client that sent one byte every 20 ms was never closed: the idle timer restarts on every byte, so it needs a total deadline (totalMs 300)',
    });
    // One byte every 20 ms, never a newline: never idle, never done.
    // A timer is the point here. Bounded: 400 bytes.
    for (let i = 0; i < 400 && !client.ended; i++) {
      client.socket.write('a');
      await sleep(20);
    }
    await closed;
    expectBytes(client.waitingLines ? await client.next() : Buffer.alloc(0), 'ERR timeout\n', 'the slowloris refusal');
  });

  it('refuses a line over maxLineBytes with "ERR too long", then FIN', async () => {
    const { server, port } = await start({ maxLineBytes: 100 });
    const { client } = await pair(server, port);
    client.socket.write(Buffer.alloc(10_000, 0x7a)); // no newline
    expectBytes(await client.next(), 'ERR too long\n', 'the refusal of a 10,000-byte line');
    await client.closed({ message: 'your server said "ERR too long" but never closed the connection' });
  });

  it('holds little for a client that floods requests and never reads', async () => {
    const { server, port } = await start({});
    const { client: flooder, serverSide } = await pair(server, port);
    flooder.socket.pause();
    const chunk = Buffer.from(`${'b'.repeat(1023)}\n`.repeat(64));
    // Bounded: at most 8 MiB, and we stop once the buffers between us are full.
    for (let i = 0; i < 128 && flooder.socket.write(chunk); i++) await new Promise((r) => setImmediate(r));
    const { client: other } = await pair(server, port);
    expectBytes(await other.ask('ping'), 'PING\n', 'the reply to another client during the flood');
    const held = serverSide.writableLength + serverSide.readableLength;
    expect(held, `your server holds ${held} bytes for a client that never reads`).toBeLessThan(1024 * 1024);
  });

  it.each([
    [{ maxConnections: 0 }, 'maxConnections 0'],
    [{ maxConnections: 1.5 }, 'maxConnections 1.5'],
    [{ idleMs: 0 }, 'idleMs 0 (setTimeout(0) switches the timer off)'],
    [{ totalMs: Number.NaN }, 'totalMs NaN'],
    [{ totalMs: 2 ** 31 }, 'totalMs 2^31 (too big for a Node timer)'],
    [{ maxLineBytes: -1 }, 'maxLineBytes -1'],
  ])('throws a RangeError for %o', (options, why) => {
    let thrown: unknown;
    try {
      createGuardedServer(options); // never started, so nothing to close
    } catch (error) {
      thrown = error;
    }
    expect(thrown instanceof RangeError, `createGuardedServer with ${why} must throw a RangeError`).toBe(true);
  });
});
