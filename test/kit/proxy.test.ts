// startProxy sits between a real client and a real server. What it does to
// the stream is observed through its own hooks (tamper sees every piece it
// writes, with the piece's stream offset), which does not depend on how the
// kernel happens to coalesce segments; the bytes are checked at the far end.
import { type ServerOpts, type Socket, createServer } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  NetKit,
  type ProxyOptions,
  bytewise,
  expectBytes,
  nextEvent,
  pattern,
  readExactly,
  readUntilEnd,
  startProxy,
  useNetKit,
} from '../../runner/kit/index.ts';

const kit = useNetKit();

/**
 * A server, a proxy in front of it and a client connected through the
 * proxy; resolves once the proxy has connected to the server.
 */
async function throughProxy(
  options: ProxyOptions = {},
  { server: serverOptions = {}, client: clientOptions = {}, using = kit } = {} as {
    server?: ServerOpts;
    client?: { allowHalfOpen?: boolean };
    using?: NetKit;
  },
) {
  const server = createServer(serverOptions, (socket) => socket.on('error', () => {}));
  const proxy = await startProxy(using, await using.listen(server), options);
  const accepted = nextEvent<[Socket]>(server, 'connection', { message: 'the proxy never connected to the server' });
  const client = await using.connect(proxy.port, clientOptions);
  client.on('error', () => {}); // a cut may reach the client as a reset
  const [serverSide] = await accepted;
  return { server, proxy, client, serverSide };
}

/** A tamper hook that changes nothing and records each piece the proxy writes. */
function recorder(): {
  pieces: Array<[offset: number, bytes: string]>;
  tamper: (chunk: Buffer, offset: number) => Buffer;
} {
  const pieces: Array<[number, string]> = [];
  return { pieces, tamper: (chunk, offset) => (pieces.push([offset, chunk.toString('latin1')]), chunk) };
}

/** Records the 'data' events of a socket, as strings. */
function dataEvents(socket: Socket): string[] {
  const events: string[] = [];
  socket.on('data', (chunk: Buffer) => events.push(chunk.toString('latin1')));
  return events;
}

const message = Buffer.from('The quick brown fox jumps over the lazy dog');

describe('startProxy: plain forwarding', () => {
  it('forwards bytes both ways unchanged, and counts connections', async () => {
    const { proxy, client, serverSide } = await throughProxy();
    expect(proxy.port).toBeGreaterThan(0);
    expect(proxy.connections).toBe(1);

    const payload = pattern(256 * 1024);
    client.write(payload);
    expectBytes(await readExactly(serverSide, payload.length), payload, 'the bytes the server received');
    serverSide.write('thanks');
    expectBytes(await readExactly(client, 6), 'thanks', 'the reply the client received');
  });

  it('counts each connection it accepts', async () => {
    const { server, proxy } = await throughProxy();
    // The proxy connects to the server from its 'connection' handler, where it counts.
    const accepted = nextEvent(server, 'connection', { message: 'the proxy never connected to the server' });
    await kit.connect(proxy.port);
    await accepted;
    expect(proxy.connections).toBe(2);
  });
});

describe('startProxy: chunker', () => {
  it('re-chunks toward the server: one write per piece, at consecutive offsets', async () => {
    const seen = recorder();
    const { client, serverSide } = await throughProxy({ toServer: { chunker: bytewise, tamper: seen.tamper } });
    const events = dataEvents(serverSide);
    client.end(message);
    await nextEvent(serverSide, 'end', { message: 'the server never got the end of the message' });
    expect(seen.pieces).toEqual(Array.from(message.toString('latin1'), (char, i) => [i, char]));
    expect(events.join('')).toBe(message.toString('latin1'));
    // Pieces are written on separate turns with Nagle off: they cannot all
    // reach the server as a single 'data' event.
    expect(events.length).toBeGreaterThan(1);
  });

  it('re-chunks toward the client with the chunker it is given', async () => {
    const seen = recorder();
    const { client, serverSide } = await throughProxy({
      toClient: { chunker: (bytes) => [bytes.subarray(0, 4), bytes.subarray(4)], tamper: seen.tamper },
    });
    serverSide.end('HTTP/1.0 200 OK\r\n');
    expect(String(await readUntilEnd(client))).toBe('HTTP/1.0 200 OK\r\n');
    expect(seen.pieces).toEqual([
      [0, 'HTTP'],
      [4, '/1.0 200 OK\r\n'],
    ]);
  });
});

describe('startProxy: holdUntil', () => {
  it('holds the first bytes until enough have come, then forwards them as one write', async () => {
    const seen = recorder();
    const { client, serverSide } = await throughProxy({ toServer: { holdUntil: 6, tamper: seen.tamper } });
    const first = nextEvent<[Buffer]>(serverSide, 'data', { message: 'the proxy never forwarded the held bytes' });
    for (const char of 'abcdef') {
      client.write(char);
      await nextTurn();
    }
    expect(String((await first)[0])).toBe('abcdef');
    expect(seen.pieces).toEqual([[0, 'abcdef']]);

    // After that, bytes pass as they come.
    client.end('gh');
    expect(String(await readUntilEnd(serverSide))).toBe('gh');
    expect(seen.pieces).toEqual([
      [0, 'abcdef'],
      [6, 'gh'],
    ]);
  });

  it('forwards what it holds when the sender ends before enough came', async () => {
    const { client, serverSide } = await throughProxy({ toServer: { holdUntil: 100 } });
    client.end('abc');
    expect(String(await readUntilEnd(serverSide))).toBe('abc');
  });
});

describe('startProxy: tamper', () => {
  it('flips one byte, found by its stream offset across pieces', async () => {
    const flipByte2 = (chunk: Buffer, offset: number): Buffer => {
      const i = 2 - offset;
      if (i >= 0 && i < chunk.length) chunk[i]! ^= 0xff;
      return chunk;
    };
    const { client, serverSide } = await throughProxy({ toServer: { chunker: bytewise, tamper: flipByte2 } });
    client.end('hello');
    expectBytes(
      await readUntilEnd(serverSide),
      Buffer.from([0x68, 0x65, 0x6c ^ 0xff, 0x6c, 0x6f]),
      'the tampered bytes',
    );
  });

  it('tampers toward the client too', async () => {
    const { client, serverSide } = await throughProxy({
      toClient: { tamper: (chunk) => Buffer.from(chunk.toString().toUpperCase()) },
    });
    serverSide.end('quiet');
    expect(String(await readUntilEnd(client))).toBe('QUIET');
  });
});

describe('startProxy: cutAfter', () => {
  it('toward the server: forwards that many bytes, then cuts both sides', async () => {
    const { client, serverSide } = await throughProxy({ toServer: { cutAfter: 3 } });
    const clientClosed = nextEvent(client, 'close', { message: 'the proxy never cut the client' });
    client.write('hello');
    expect(String(await readUntilEnd(serverSide))).toBe('hel');
    await clientClosed;
  });

  it('toward the client: forwards that many bytes, then cuts both sides', async () => {
    const { client, serverSide } = await throughProxy({ toClient: { cutAfter: 5 } });
    const serverClosed = nextEvent(serverSide, 'close', { message: 'the proxy never cut the server' });
    serverSide.write('hello world');
    expect(String(await readUntilEnd(client))).toBe('hello');
    await serverClosed;
  });

  it('cuts at a piece boundary when the count falls on one', async () => {
    const seen = recorder();
    const { client, serverSide } = await throughProxy({
      toServer: { chunker: (b) => [b.subarray(0, 2), b.subarray(2)], cutAfter: 2, tamper: seen.tamper },
    });
    client.write('hello');
    expect(String(await readUntilEnd(serverSide))).toBe('he');
    expect(seen.pieces).toEqual([[0, 'he']]);
  });

  it('cuts nothing while fewer bytes have passed', async () => {
    const { client, serverSide } = await throughProxy({ toServer: { cutAfter: 100 } });
    client.write('hello');
    expect(String(await readExactly(serverSide, 5))).toBe('hello');
    serverSide.write('still here');
    expect(String(await readExactly(client, 10))).toBe('still here');
  });
});

describe('startProxy: ends and half-close', () => {
  it("passes the client's end to the server", async () => {
    const { client, serverSide } = await throughProxy();
    client.end('bye');
    expect(String(await readUntilEnd(serverSide))).toBe('bye');
    // The server, not half-open, ends in turn: that end reaches the client.
    expect(String(await readUntilEnd(client))).toBe('');
  });

  it("passes the server's end to the client", async () => {
    const { client, serverSide } = await throughProxy();
    serverSide.end('ok');
    expect(String(await readUntilEnd(client))).toBe('ok');
    expect(String(await readUntilEnd(serverSide))).toBe('');
  });

  it('lets the server reply after the client has ended its side', async () => {
    const { client, serverSide } = await throughProxy({}, { server: { allowHalfOpen: true } });
    client.end('ping');
    const request = await readUntilEnd(serverSide);
    serverSide.end(`got ${request.length} bytes`);
    expect(String(await readUntilEnd(client))).toBe('got 4 bytes');
  });

  it('lets the client go on sending after the server has ended its side', async () => {
    const { client, serverSide } = await throughProxy(
      {},
      { server: { allowHalfOpen: true }, client: { allowHalfOpen: true } },
    );
    serverSide.end('welcome');
    expect(String(await readUntilEnd(client))).toBe('welcome');
    client.end('thanks');
    expect(String(await readUntilEnd(serverSide))).toBe('thanks');
  });

  it('closes the client when the server cannot be reached', async () => {
    const gone = createServer();
    const port = await kit.listen(gone);
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const proxy = await startProxy(kit, port);
    const client = await kit.connect(proxy.port);
    client.on('error', () => {});
    await nextEvent(client, 'close', { message: 'the proxy kept the client connected to nowhere' });
  });

  it("is closed with the kit's other sockets", async () => {
    const own = new NetKit();
    const { client, serverSide } = await throughProxy({}, { using: own });
    const serverClosed = nextEvent(serverSide, 'close', {
      message: "the proxy's connection to the server stayed open",
    });
    await own.closeAll();
    expect(client.destroyed).toBe(true);
    await serverClosed;
  });
});
