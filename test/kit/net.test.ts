// NetKit, closeQuietly, readUntilEnd and readExactly, over real loopback
// TCP (and UDP) where the kernel's chunking cannot matter, and over a
// ScriptedPeer where the test must choose the chunks.
import type { Socket as UdpSocket } from 'node:dgram';
import { type Server, type ServerOpts, type Socket, createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DeadlineError,
  HOST,
  NetKit,
  ScriptedPeer,
  closeQuietly,
  nextEvent,
  pattern,
  readExactly,
  readUntilEnd,
  useNetKit,
} from '../../runner/kit/index.ts';

const kit = useNetKit();

afterEach(() => {
  vi.useRealTimers();
});

/** A TCP server whose accepted sockets ignore errors (a test may reset them). */
function serve(onConnection: (socket: Socket) => void = () => {}, options: ServerOpts = {}): Server {
  return createServer(options, (socket) => {
    socket.on('error', () => {});
    onConnection(socket);
  });
}

/** Connects a kit client to a fresh server and resolves with both ends. */
async function connectedPair(
  onConnection: (socket: Socket) => void = () => {},
): Promise<{ client: Socket; serverSide: Socket }> {
  const server = serve(onConnection);
  const port = await kit.listen(server);
  const accepted = nextEvent<[Socket]>(server, 'connection');
  const client = await kit.connect(port);
  const [serverSide] = await accepted;
  return { client, serverSide };
}

/** True once a UDP socket is closed: address() throws ERR_SOCKET_DGRAM_NOT_RUNNING. */
function udpClosed(socket: UdpSocket): boolean {
  try {
    socket.address();
    return false;
  } catch {
    return true;
  }
}

/** What a promise rejected with (fails the test if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected a rejection, got ${String(outcome.value)}`);
  return outcome.error as Error;
}

describe('NetKit.listen, connect and udp', () => {
  it('listens on 127.0.0.1 with a real port chosen by the system', async () => {
    const server = serve();
    const port = await kit.listen(server);
    expect(HOST).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);
    expect(server.address()).toMatchObject({ address: '127.0.0.1', port });
  });

  it('gives two servers two different ports', async () => {
    const [a, b] = await Promise.all([kit.listen(serve()), kit.listen(serve())]);
    expect(a).not.toBe(b);
  });

  it('returns the port of a server it already started', async () => {
    const server = serve();
    const port = await kit.listen(server);
    expect(await kit.listen(server)).toBe(port);
  });

  it('refuses a server the code under test already started on a port of its choosing', async () => {
    const server = serve();
    server.listen(0, HOST);
    await nextEvent(server, 'listening');
    kit.track(server);
    expect((await rejection(kit.listen(server))).message).toMatch(
      /^your server is already listening \(on 127\.0\.0\.1:\d+\), but the test starts it/,
    );
  });

  it('serve() gives code that listens itself a free port, and checks it listened there', async () => {
    let given = 0;
    const port = await kit.serve((p) => {
      given = p;
      return serve().listen(p, HOST);
    });
    expect(port).toBe(given);
    expect(port).toBeGreaterThan(0);
    const client = await kit.connect(port);
    expect(client.remotePort).toBe(port);
  });

  it('serve() names the port a server listened on instead of the one it was given', async () => {
    const elsewhere = await rejection(kit.serve(() => serve().listen(0, HOST)));
    expect(elsewhere.message).toMatch(
      /^your server listened on 127\.0\.0\.1:\d+, but the test gave it port \d+: listen on the port you are given/,
    );
  });

  it("rejects with the server's error when it cannot listen", async () => {
    const server = serve();
    const denied = Object.assign(new Error('listen EACCES: permission denied'), { code: 'EACCES' });
    server.listen = (() => {
      process.nextTick(() => server.emit('error', denied));
      return server;
    }) as Server['listen'];
    expect(await rejection(kit.listen(server))).toBe(denied);
  });

  it('connects a client that is ready to use', async () => {
    const { client, serverSide } = await connectedPair();
    expect(client.remoteAddress).toBe('127.0.0.1');
    expect(client.remotePort).toBe(serverSide.localPort);
    expect(client.allowHalfOpen).toBe(false);
    client.write('hi');
    expect(String(await readExactly(serverSide, 2))).toBe('hi');
  });

  it('passes allowHalfOpen to the client socket', async () => {
    const client = await kit.connect(await kit.listen(serve()), { allowHalfOpen: true });
    expect(client.allowHalfOpen).toBe(true);
  });

  it('rejects with ECONNREFUSED when nothing listens on the port', async () => {
    const server = serve();
    const port = await kit.listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await rejection(kit.connect(port))).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('binds UDP sockets to 127.0.0.1 that can exchange datagrams', async () => {
    const [a, b] = await Promise.all([kit.udp(), kit.udp()]);
    expect(a.address()).toMatchObject({ address: '127.0.0.1' });
    const arrived = nextEvent<[Buffer, { address: string; port: number }]>(b, 'message');
    a.send('ping', b.address().port, HOST);
    const [message, from] = await arrived;
    expect(String(message)).toBe('ping');
    expect(from).toEqual(expect.objectContaining({ address: '127.0.0.1', port: a.address().port }));
  });
});

describe('NetKit.closeAll', () => {
  it('closes the servers, sockets and UDP sockets it opened, and is safe to call twice', async () => {
    const own = new NetKit();
    const server = serve();
    const client = await own.connect(await own.listen(server));
    const udp = await own.udp();
    const closeable = { close: vi.fn() };
    own.track(closeable);

    await own.closeAll();
    expect(server.listening).toBe(false);
    expect(client.destroyed).toBe(true);
    expect(udpClosed(udp)).toBe(true);
    expect(closeable.close).toHaveBeenCalledTimes(1);

    await own.closeAll();
    expect(closeable.close).toHaveBeenCalledTimes(1);
  });

  it('closes a server that still holds a connection, and that connection, instead of waiting for it', async () => {
    const own = new NetKit();
    // allowHalfOpen: the server keeps its side open after the client leaves,
    // so server.close() alone would wait for this connection forever.
    const held: Socket[] = [];
    const server = serve((socket) => held.push(socket), { allowHalfOpen: true });
    const accepted = nextEvent(server, 'connection');
    await own.connect(await own.listen(server));
    await accepted;
    const serverClosed = nextEvent(server, 'close', { message: 'the server never closed' });

    await own.closeAll();
    expect(held[0]!.destroyed).toBe(true);
    await serverClosed;
  });

  describe('with useNetKit, after a test that fails', () => {
    const scoped = useNetKit();
    let opened: { server: Server; client: Socket; udp: UdpSocket } | undefined;

    it.fails('(this test fails on purpose, with a server, a client and a UDP socket open)', async () => {
      const server = serve();
      const client = await scoped.connect(await scoped.listen(server));
      opened = { server, client, udp: await scoped.udp() };
      expect('the test').toBe('failing on purpose');
    });

    it('closed everything the failed test had opened', () => {
      expect(opened, 'the failing test did not get as far as opening its sockets').toBeDefined();
      expect(opened!.server.listening).toBe(false);
      expect(opened!.client.destroyed).toBe(true);
      expect(udpClosed(opened!.udp)).toBe(true);
    });
  });
});

describe('closeQuietly', () => {
  it('accepts things that are already closed', async () => {
    const own = new NetKit();
    const server = serve();
    const client = await own.connect(await own.listen(server));
    const udp = await own.udp();
    await own.closeAll();
    await closeQuietly(server);
    await closeQuietly(client);
    await closeQuietly(udp);
    await closeQuietly(serve());
  });

  it('swallows a close() that throws or rejects', async () => {
    await closeQuietly({
      close: () => {
        throw new Error('already closed');
      },
    });
    await closeQuietly({ close: () => Promise.reject(new Error('already closed')) });
  });

  it('gives up on a close() that never finishes after 1 s', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let done = false;
    const closing = closeQuietly({ close: () => new Promise(() => {}) }).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(done).toBe(true);
  });
});

describe('readUntilEnd', () => {
  it('collects every chunk until the server ends the connection', async () => {
    const { client } = await connectedPair((socket) => {
      socket.write('hel');
      setImmediate(() => socket.end('lo'));
    });
    expect(String(await readUntilEnd(client))).toBe('hello');
  });

  it('joins chunks delivered one by one', async () => {
    const peer = new ScriptedPeer();
    void peer.deliver([Buffer.from('he'), Buffer.from('ll'), Buffer.from('o')], { end: true });
    expect(String(await readUntilEnd(peer))).toBe('hello');
  });

  it('resolves with an empty buffer when the server ends without sending', async () => {
    const { client } = await connectedPair((socket) => socket.end());
    expect(await readUntilEnd(client)).toEqual(Buffer.alloc(0));
  });

  it("resolves with what arrived when the socket closes without an 'end'", async () => {
    const peer = new ScriptedPeer();
    const read = readUntilEnd(peer);
    await peer.deliver([Buffer.from('partial')]);
    peer.destroy();
    expect(String(await read)).toBe('partial');
  });

  it("rejects with the socket's error", async () => {
    const { client, serverSide } = await connectedPair();
    const read = rejection(readUntilEnd(client));
    serverSide.resetAndDestroy();
    expect(await read).toMatchObject({ code: 'ECONNRESET' });
  });

  it('rejects when more than maxBytes arrive', async () => {
    const { client } = await connectedPair((socket) => socket.end('0123456789'));
    expect((await rejection(readUntilEnd(client, { maxBytes: 4 }))).message).toBe(
      'more than 4 bytes arrived; the peer never stopped sending',
    );
  });

  it('says "the server accepted the connection but never replied within 2 s" by default', async () => {
    const { client } = await connectedPair();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const read = rejection(readUntilEnd(client));
    await vi.advanceTimersByTimeAsync(2000);
    const error = await read;
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error.message).toBe('the server accepted the connection but never replied within 2 s');
  });

  it('says the same with a short deadline', async () => {
    const { client } = await connectedPair();
    expect((await rejection(readUntilEnd(client, { ms: 30 }))).message).toBe(
      'the server accepted the connection but never replied within 30 ms',
    );
  });

  it('counts the bytes that came when the server never ends', async () => {
    // Delivered before the read starts, so they surely arrive before the deadline.
    const peer = new ScriptedPeer();
    await peer.deliver([Buffer.from('ab'), Buffer.from('c')]);
    expect((await rejection(readUntilEnd(peer, { ms: 30 }))).message).toBe(
      'the server sent 3 bytes but never ended the connection within 30 ms',
    );
  });

  it('uses the message it is given', async () => {
    const { client } = await connectedPair();
    expect(
      (await rejection(readUntilEnd(client, { ms: 30, message: 'your client never closed its side' }))).message,
    ).toBe('your client never closed its side within 30 ms');
  });

  it("stops listening for 'data' once done", async () => {
    const { client } = await connectedPair((socket) => socket.end('bye'));
    await readUntilEnd(client);
    expect(client.listenerCount('data')).toBe(0);
  });
});

describe('readExactly', () => {
  it('gathers exactly n bytes from several chunks', async () => {
    const peer = new ScriptedPeer();
    const read = readExactly(peer, 5);
    await peer.deliver([Buffer.from('he'), Buffer.from('l'), Buffer.from('lo')]);
    expect(String(await read)).toBe('hello');
  });

  it('puts extra bytes back for the next read', async () => {
    const { client } = await connectedPair((socket) => socket.write('helloworld'));
    expect(String(await readExactly(client, 5))).toBe('hello');
    expect(String(await readExactly(client, 5))).toBe('world');
  });

  it('puts back the rest of a chunk that straddles two reads', async () => {
    const peer = new ScriptedPeer();
    void peer.deliver([Buffer.from('hel'), Buffer.from('lo wo'), Buffer.from('rld')]);
    expect(String(await readExactly(peer, 5))).toBe('hello');
    expect(String(await readExactly(peer, 1))).toBe(' ');
    expect(String(await readExactly(peer, 5))).toBe('world');
  });

  it('keeps bytes that arrive between two reads', async () => {
    const peer = new ScriptedPeer();
    void peer.deliver([Buffer.from('hello')]);
    expect(String(await readExactly(peer, 5))).toBe('hello');
    await peer.deliver([Buffer.from('wor'), Buffer.from('ld')]);
    expect(String(await readExactly(peer, 5))).toBe('world');
  });

  it("leaves the rest to a 'data' listener or readUntilEnd added afterwards", async () => {
    const { client } = await connectedPair((socket) => socket.end('hello world'));
    expect(String(await readExactly(client, 6))).toBe('hello ');
    expect(String(await readUntilEnd(client))).toBe('world');

    const peer = new ScriptedPeer();
    void peer.deliver([Buffer.from('abcdef')]);
    await readExactly(peer, 2);
    const [rest] = await nextEvent<[Buffer]>(peer, 'data');
    expect(String(rest)).toBe('cdef');
  });

  it('reads 1 MiB sent at once', async () => {
    const payload = pattern(1024 * 1024);
    const { client } = await connectedPair((socket) => socket.write(payload));
    expect((await readExactly(client, payload.length, { ms: 5_000 })).equals(payload)).toBe(true);
  });

  it('resolves with no bytes when asked for none', async () => {
    const peer = new ScriptedPeer();
    expect(await readExactly(peer, 0)).toEqual(Buffer.alloc(0));
  });

  it('rejects when the connection ends early, saying how many bytes came', async () => {
    const { client } = await connectedPair((socket) => socket.end('hel'));
    expect((await rejection(readExactly(client, 5))).message).toBe(
      'the connection ended after 3 of the 5 bytes expected',
    );

    const { client: silent } = await connectedPair((socket) => socket.end());
    expect((await rejection(readExactly(silent, 5))).message).toBe(
      'the connection ended after 0 of the 5 bytes expected',
    );
  });

  it('rejects when the socket is destroyed part way', async () => {
    const peer = new ScriptedPeer();
    const read = rejection(readExactly(peer, 5));
    await peer.deliver([Buffer.from('he')]);
    peer.destroy();
    expect((await read).message).toBe('the connection closed after 2 of the 5 bytes expected');
  });

  it("rejects with the socket's error", async () => {
    const { client, serverSide } = await connectedPair();
    const read = rejection(readExactly(client, 5));
    serverSide.resetAndDestroy();
    expect(await read).toMatchObject({ code: 'ECONNRESET' });
  });

  it('rejects at once on a socket that was already closed, with its error if it had one', async () => {
    const closed = new ScriptedPeer();
    closed.destroy();
    expect((await rejection(readExactly(closed, 5))).message).toBe(
      'the connection closed after 0 of the 5 bytes expected',
    );

    const broken = new ScriptedPeer();
    broken.on('error', () => {});
    const reset = new Error('read ECONNRESET');
    broken.destroy(reset);
    expect(await rejection(readExactly(broken, 5))).toBe(reset);

    const { client } = await connectedPair((socket) => socket.end('hi'));
    await readUntilEnd(client);
    expect((await rejection(readExactly(client, 5))).message).toBe(
      'the connection ended after 0 of the 5 bytes expected',
    );
  });

  it('says how many of the bytes arrived when the deadline passes', async () => {
    // Delivered before the read starts, so they surely arrive before the deadline.
    const peer = new ScriptedPeer();
    await peer.deliver([Buffer.from('h'), Buffer.from('e')]);
    const error = await rejection(readExactly(peer, 5, { ms: 30 }));
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error.message).toBe('only 2 of the 5 expected bytes arrived within 30 ms');
  });

  it('waits 2 s by default', async () => {
    const { client } = await connectedPair();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const read = rejection(readExactly(client, 5));
    await vi.advanceTimersByTimeAsync(2000);
    expect((await read).message).toBe('only 0 of the 5 expected bytes arrived within 2 s');
  });

  it('uses the message it is given', async () => {
    const { client } = await connectedPair();
    expect(
      (
        await rejection(
          readExactly(client, 5, { ms: 30, message: 'your server accepted the connection but never echoed "hello"' }),
        )
      ).message,
    ).toBe('your server accepted the connection but never echoed "hello" within 30 ms');
  });

  it('removes its listeners once done', async () => {
    const { client } = await connectedPair((socket) => socket.write('hello'));
    const before = ['data', 'readable', 'end', 'close', 'error'].map((e) => client.listenerCount(e));
    await readExactly(client, 5);
    await readExactly(client, 1, { ms: 20 }).catch(() => {});
    expect(['data', 'readable', 'end', 'close', 'error'].map((e) => client.listenerCount(e))).toEqual(before);
  });
});
