import type { RemoteInfo, Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { HOST, expectBytes, nextEvent, useNetKit, withDeadline } from '../../runner/kit/index.ts';
import { createUdpEchoServer, type UdpEchoOptions } from './udp-echo.ts';

const kit = useNetKit();

/** Creates the learner's server, binds it to 127.0.0.1 port 0, and resolves with its port. */
async function startServer(options?: UdpEchoOptions): Promise<number> {
  const server = kit.track(createUdpEchoServer(options));
  server.bind(0, HOST);
  await nextEvent(server, 'listening', { message: 'the UDP server did not bind' });
  return server.address().port;
}

/** Collects the next `n` datagrams that arrive at `socket`, with a deadline. */
function receive(socket: Socket, n: number, message: string): Promise<Array<{ data: Buffer; from: RemoteInfo }>> {
  const got: Array<{ data: Buffer; from: RemoteInfo }> = [];
  let onMessage = (_data: Buffer, _from: RemoteInfo): void => {};
  const all = new Promise<typeof got>((resolve) => {
    onMessage = (data, from) => {
      got.push({ data, from });
      if (got.length === n) resolve(got);
    };
    socket.on('message', onMessage);
  });
  const came = (): string => (n === 1 ? 'no reply came' : `${got.length} of ${n} replies came`);
  return withDeadline(all, { message: () => `${message} (${came()})` }).finally(() => socket.off('message', onMessage));
}

/** Sends one datagram to the server and resolves with the first reply. */
async function ask(
  client: Socket,
  port: number,
  datagram: Uint8Array,
  message = 'your server never replied',
): Promise<Buffer> {
  const reply = receive(client, 1, message);
  client.send(datagram, port, HOST);
  return (await reply)[0]!.data;
}

/** What the server must answer: ASCII a-z upper-cased, every other byte unchanged. */
function shout(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.map((b) => (b >= 0x61 && b <= 0x7a ? b - 0x20 : b)));
}

describe('Task 6: a UDP echo server that shouts back', () => {
  it("sends the reply to the sender's address and port, from the server's own port", async () => {
    const port = await startServer();
    const client = await kit.udp();
    const reply = receive(client, 1, 'your server never replied to "hello"');
    client.send('hello', port, HOST);
    const [{ data, from }] = await reply;
    expectBytes(data, 'HELLO', 'the reply to "hello"');
    expect(
      from.port,
      `the reply should come from the server's own port (${port}), not ${from.port}: send it with the socket that received the request`,
    ).toBe(port);
  });

  it('answers each datagram with its own datagram: 3 in, 3 out', async () => {
    const port = await startServer();
    const client = await kit.udp();
    const replies = receive(client, 3, 'your server did not answer each of 3 datagrams');
    for (const word of ['one', 'two', 'three']) client.send(word, port, HOST);
    // UDP may reorder datagrams, so the order is not checked; the boundaries are.
    const words = (await replies).map((r) => r.data.toString('latin1')).sort();
    expect(words, 'each datagram gets its own reply, never joined or split').toEqual(['ONE', 'THREE', 'TWO']);
  });

  it('answers two clients, each at its own address', async () => {
    const port = await startServer();
    const [a, b] = [await kit.udp(), await kit.udp()];
    const [fromA, fromB] = [receive(a, 1, 'client A got no reply'), receive(b, 1, 'client B got no reply')];
    a.send('from a', port, HOST);
    b.send('from b', port, HOST);
    expectBytes((await fromA)[0]!.data, 'FROM A', "client A's reply");
    expectBytes((await fromB)[0]!.data, 'FROM B', "client B's reply");
  });

  it.each([
    ['ASCII text', Buffer.from('Hello, World! 123')],
    ['every byte value, 0x00 to 0xff', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
    ['the single byte 0xff (not UTF-8)', Buffer.of(0xff)],
    ['"ΐ" in UTF-8 (2 bytes; upper-cased as text it is 6)', Buffer.from('ΐ')],
    ['"ß" in UTF-8 (upper-cased as text it is "SS")', Buffer.from('ß')],
  ])('upper-cases only a-z, never changing the length: %s', async (_what, request) => {
    const port = await startServer();
    const client = await kit.udp();
    const reply = await ask(client, port, request);
    expect(
      reply.length,
      `a reply must never be larger than its request (${request.length} ${request.length === 1 ? 'byte' : 'bytes'} in, ${reply.length} out): upper-case the bytes a-z (0x61 to 0x7a), not the text`,
    ).toBeLessThanOrEqual(request.length);
    expectBytes(reply, shout(request), 'the reply (only the bytes a-z change)');
  });

  it('answers an empty datagram with an empty datagram', async () => {
    const port = await startServer();
    const client = await kit.udp();
    const reply = await ask(
      client,
      port,
      new Uint8Array(0),
      'your server never answered an empty datagram: in UDP, 0 bytes is a message, not the end of a stream',
    );
    expect(reply.length, `the reply to an empty datagram must be empty, but it holds ${reply.length} bytes`).toBe(0);
  });

  it('drops a datagram over maxPayload, and answers the next one', async () => {
    const port = await startServer({ maxPayload: 16 });
    const client = await kit.udp();
    expectBytes(
      await ask(client, port, Buffer.alloc(16, 0x61)),
      Buffer.alloc(16, 0x41),
      'the reply to exactly maxPayload (16) bytes',
    );
    // If the server answered the 17-byte datagram, that reply would arrive first.
    const next = receive(client, 1, 'your server stopped answering after a datagram over maxPayload');
    client.send(Buffer.alloc(17, 0x62), port, HOST);
    client.send('after', port, HOST);
    const [{ data }] = await next;
    expect(data.length, 'a datagram over maxPayload (17 bytes, limit 16) must get no reply').not.toBe(17);
    expectBytes(data, 'AFTER', 'the first reply after a datagram over maxPayload');
  });

  it('uses maxPayload 1,472 by default', async () => {
    const port = await startServer();
    const client = await kit.udp();
    const reply = await ask(
      client,
      port,
      Buffer.alloc(1_472, 0x2e),
      'your server never answered 1,472 bytes, which the default maxPayload allows',
    );
    expect(reply.length, `the reply to 1,472 bytes must be 1,472 bytes long, not ${reply.length}`).toBe(1_472);
    const next = receive(client, 1, 'your server stopped answering after 1,473 bytes');
    client.send(Buffer.alloc(1_473, 0x2e), port, HOST);
    client.send('after', port, HOST);
    expectBytes((await next)[0]!.data, 'AFTER', 'the first reply after 1,473 bytes (over the default limit)');
  });

  it('answers the largest UDP payload, 65,507 bytes, when maxPayload allows it', async () => {
    const port = await startServer({ maxPayload: 65_507 });
    const client = await kit.udp();
    const request = Buffer.alloc(65_507);
    for (let i = 0; i < request.length; i++) request[i] = (i * 7) & 0xff;
    const reply = await ask(
      client,
      port,
      request,
      'your server never answered a 65,507-byte datagram (a reply larger than 65,507 bytes makes send() fail with EMSGSIZE: upper-case bytes, not text)',
    );
    expectBytes(reply, shout(request), 'the reply to 65,507 bytes');
  });

  it.each([[-1], [1.5], [65_508], [Number.NaN]])('refuses maxPayload %s with a RangeError', (maxPayload) => {
    let thrown: unknown;
    try {
      createUdpEchoServer({ maxPayload }).close();
    } catch (error) {
      thrown = error;
    }
    const outcome = thrown === undefined ? 'it returned a socket' : `it threw ${String(thrown)}`;
    expect(
      thrown instanceof RangeError,
      `createUdpEchoServer({ maxPayload: ${maxPayload} }) should throw a RangeError, but ${outcome}`,
    ).toBe(true);
  });
});
