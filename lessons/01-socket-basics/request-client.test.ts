import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server, type Socket } from 'node:net';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { expectBytes, nextEvent, pattern, useNetKit, withDeadline } from '../../runner/kit/index.ts';
import { request } from './request-client.ts';

const kit = useNetKit();

/**
 * A server that reads the whole request (until the client's end()), then
 * calls `reply` with its socket and the request. allowHalfOpen keeps the
 * server's sending side open after the client's FIN (task 3 explains why).
 */
function serverThat(reply: (socket: Socket, request: Buffer) => unknown): Server {
  return createServer({ allowHalfOpen: true }, (socket) => {
    kit.track(socket);
    const chunks: Buffer[] = [];
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => void reply(socket, Buffer.concat(chunks)));
  });
}

/** Awaits `request(...)` and returns the error it rejects with; fails if it resolves or hangs. */
async function rejectionOf(promise: Promise<Buffer>, when: string, ms = 2_000): Promise<Error & { code?: string }> {
  const outcome = await withDeadline(
    promise.then(
      (reply) => ({ reply }),
      (error: unknown) => ({ error }),
    ),
    { ms, message: `your request() neither resolved nor rejected when ${when}` },
  );
  if ('reply' in outcome)
    throw new Error(`your request() resolved with ${describeReply(outcome.reply)} when ${when}; it should reject`);
  const { error } = outcome;
  if (!(error instanceof Error))
    throw new Error(`your request() rejected with ${String(error)}, not an Error, when ${when}`);
  if (error.message.startsWith('TODO:')) throw error; // the starter: its TODO says what to do
  return error;
}

/** What request() resolved with, in a few words: "a Buffer of 1 byte", never the bytes themselves. */
function describeReply(reply: unknown): string {
  const count = (n: number, noun: string): string => `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
  if (Buffer.isBuffer(reply)) return `a Buffer of ${count(reply.length, 'byte')}`;
  if (typeof reply === 'string') return `a string of ${count(reply.length, 'character')}`;
  return inspect(reply, { depth: 0, maxStringLength: 40, breakLength: Infinity });
}

/** Checks an error's code, quoting the whole error when the code is wrong. */
function expectCode(error: Error & { code?: string }, codes: string[], when: string): void {
  if (!codes.includes(error.code ?? '')) {
    throw new Error(
      `when ${when}, request() should reject with code ${codes.join(' or ')}, but it rejected with code ${error.code} and the message: ${error.message}`,
    );
  }
}

/** A port where nothing listens: a server is started on port 0, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await kit.listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Watches for the socket the code under test opens with net.connect(), seen
 * through Node's diagnostics channel: `socket()` is that socket, or
 * undefined if none was opened that way. Stopped after each test.
 */
function watchClientSocket(): { socket: () => Socket | undefined } {
  let seen: Socket | undefined;
  const onSocket = (message: unknown): void => {
    seen ??= (message as { socket: Socket }).socket;
  };
  subscribe('net.client.socket', onSocket);
  watching.push(() => unsubscribe('net.client.socket', onSocket));
  return { socket: () => seen };
}

/**
 * Counts every socket the code under test opens with net.connect() (seen
 * through the same channel). Each gets an 'error' listener at once, so a
 * connection that should never have been made cannot crash the test run,
 * and is destroyed after the test.
 */
function watchClientSockets(): { count: () => number } {
  const seen: Socket[] = [];
  const onSocket = (message: unknown): void => {
    const { socket } = message as { socket: Socket };
    socket.on('error', () => {});
    seen.push(socket);
  };
  subscribe('net.client.socket', onSocket);
  watching.push(() => {
    unsubscribe('net.client.socket', onSocket);
    for (const socket of seen) socket.destroy();
  });
  return { count: () => seen.length };
}
const watching: Array<() => void> = [];
afterEach(() => {
  for (const stop of watching.splice(0)) stop();
});

/** After request() gave up: its socket must be destroyed, not left open. */
function expectDestroyed(watch: { socket: () => Socket | undefined }): void {
  const socket = watch.socket();
  if (socket === undefined) return; // not opened with net.connect(): nothing to check
  expect(
    socket.destroyed,
    'your request() rejected but left its socket open: call socket.destroy() when you give up',
  ).toBe(true);
}

describe('Task 2: a request client', () => {
  it('sends the whole payload, half-closes, and resolves with the whole reply', async () => {
    const payload = pattern(100_000, 1);
    const port = await kit.listen(serverThat((socket, got) => socket.end(got)));
    const reply = await withDeadline(request(port, payload, { timeoutMs: 5_000 }), {
      ms: 2_500,
      message:
        'your request() never resolved: did it call end() after sending? This server replies only after the end of the request.',
    });
    expectBytes(reply, payload, 'the reply (the server sends back the request it received)');
  });

  it('sends an empty payload as just the end of the request', async () => {
    const port = await kit.listen(serverThat((socket, got) => socket.end(`got ${got.length} bytes`)));
    const reply = await withDeadline(request(port, new Uint8Array(0), { timeoutMs: 2_000 }), {
      ms: 3_000,
      message: 'your request() with an empty payload never resolved',
    });
    expectBytes(reply, 'got 0 bytes', 'the reply');
  });

  it('resolves with an empty Buffer when the server ends without a word', async () => {
    const port = await kit.listen(serverThat((socket) => socket.end()));
    const reply = await withDeadline(request(port, Buffer.from('anyone?'), { timeoutMs: 2_000 }), {
      ms: 3_000,
      message: 'your request() never resolved when the server ended without replying',
    });
    expect(Buffer.isBuffer(reply), `request() should resolve with a Buffer, not ${describeReply(reply)}`).toBe(true);
    expect(
      reply.length,
      `an empty reply is a valid reply: resolve with an empty Buffer, not ${describeReply(reply)}`,
    ).toBe(0);
  });

  it('joins a reply that arrives in several pieces', async () => {
    const pieces = ['one ', 'two ', 'three ', 'four'];
    const port = await kit.listen(
      serverThat(async (socket) => {
        socket.setNoDelay(true);
        for (const piece of pieces) {
          await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
          await nextTurn();
        }
        socket.end();
      }),
    );
    const reply = await withDeadline(request(port, Buffer.from('count'), { host: '127.0.0.1', timeoutMs: 2_000 }), {
      ms: 3_000,
      message: 'your request() never resolved with a reply written in 4 pieces',
    });
    expectBytes(reply, pieces.join(''), 'the reply (written in 4 pieces)');
  });

  it('collects a 1 MiB reply, which never fits in one data event', async () => {
    const big = pattern(1024 * 1024, 2);
    const port = await kit.listen(serverThat((socket) => socket.end(big)));
    const reply = await withDeadline(request(port, Buffer.from('big'), { timeoutMs: 4_000 }), {
      ms: 5_000,
      message: 'your request() did not resolve with the 1 MiB reply',
    });
    expectBytes(reply, big, 'the 1 MiB reply');
  });

  it('rejects with ECONNREFUSED, naming host:port, when nothing listens', async () => {
    const port = await closedPort();
    const error = await rejectionOf(
      request(port, Buffer.from('hello'), { timeoutMs: 2_000 }),
      'nothing listens on the port',
    );
    expectCode(error, ['ECONNREFUSED'], 'nothing listens on the port');
    expect(error.message, 'the error message should say which server: host:port').toContain(`127.0.0.1:${port}`);
  });

  it('rejects with ECONNRESET, naming host:port, when the server resets instead of replying', async () => {
    const port = await kit.listen(serverThat((socket) => socket.resetAndDestroy()));
    const error = await rejectionOf(
      request(port, Buffer.from('hello'), { timeoutMs: 2_000 }),
      'the server reset the connection',
    );
    expectCode(error, ['ECONNRESET'], 'the server reset the connection');
    expect(error.message, 'the error message should say which server: host:port').toContain(`127.0.0.1:${port}`);
  });

  it('rejects with ECONNRESET when the server resets part way through the reply', async () => {
    const watch = watchClientSocket();
    const port = await kit.listen(
      serverThat(async (socket) => {
        const client = watch.socket();
        const clientRead = client
          ? nextEvent(client, 'data', { message: 'the client never read the first part of the reply' })
          : undefined;
        await new Promise<void>((resolve) => socket.write('the first half of the rep', () => resolve()));
        // The reset must come after the client has read those bytes: when a
        // reset arrives together with unread data, Node reports a plain
        // 'end' instead (see the README). If the client socket was not
        // opened with net.connect(), the test cannot see it and waits 50 ms.
        await (clientRead ?? sleep(50)).catch(() => {});
        socket.resetAndDestroy();
      }),
    );
    const when = 'the server reset the connection part way through the reply';
    const error = await rejectionOf(request(port, Buffer.from('hello'), { timeoutMs: 2_000 }), when);
    expectCode(error, ['ECONNRESET'], when);
    expect(error.message, 'the error message should say which server: host:port').toContain(`127.0.0.1:${port}`);
  });

  it('rejects with ECONNRESET or EPIPE when the server resets while the request is still being sent', async () => {
    const server = createServer((socket) => {
      kit.track(socket);
      socket.on('error', () => {});
      socket.once('data', () => socket.resetAndDestroy());
    });
    const port = await kit.listen(server);
    const when = 'the server reset the connection while the client was still sending 4 MiB';
    const error = await rejectionOf(request(port, pattern(4 * 1024 * 1024), { timeoutMs: 2_000 }), when);
    expectCode(error, ['ECONNRESET', 'EPIPE'], when);
  });

  it('rejects with ETIMEDOUT, and destroys its socket, when the server never answers', async () => {
    const watch = watchClientSocket();
    const port = await kit.listen(serverThat(() => {})); // reads the request, never replies
    const when = 'the server never answered (timeoutMs: 200)';
    const error = await rejectionOf(request(port, Buffer.from('hello?'), { timeoutMs: 200 }), when);
    expectCode(error, ['ETIMEDOUT'], when);
    expect(error.message, 'the error message should say which server: host:port').toContain(`127.0.0.1:${port}`);
    expectDestroyed(watch);
  });

  it('rejects with ETIMEDOUT when the reply keeps trickling in for longer than timeoutMs', async () => {
    const server = serverThat(async (socket) => {
      // A timer is the point here: one byte every 20 ms keeps an idle timer
      // happy forever. Bounded: at most 200 bytes (4 s).
      for (let i = 0; i < 200 && !socket.destroyed; i++) {
        socket.write('.');
        await sleep(20);
      }
      socket.destroy();
    });
    const port = await kit.listen(server);
    const when = 'the server sent one byte every 20 ms and timeoutMs was 300';
    const error = await rejectionOf(
      request(port, Buffer.from('slowly'), { timeoutMs: 300 }),
      `${when} (timeoutMs limits the whole request, not just silence)`,
      2_500,
    );
    expectCode(error, ['ETIMEDOUT'], when);
  });

  it('rejects with ERR_REPLY_TOO_LARGE, and destroys its socket, when the reply passes maxReplyBytes', async () => {
    const watch = watchClientSocket();
    const server = serverThat(async (socket) => {
      // An endless reply, bounded here at 1,000 writes of 64 KiB; each write
      // waits until the last one left (its callback also fires on error).
      const block = pattern(64 * 1024);
      for (let i = 0; i < 1_000 && !socket.destroyed; i++)
        await new Promise<void>((resolve) => socket.write(block, () => resolve()));
    });
    const port = await kit.listen(server);
    const when = 'the server never stopped sending and maxReplyBytes was 256 KiB';
    const error = await rejectionOf(
      request(port, Buffer.from('tell me everything'), { timeoutMs: 3_000, maxReplyBytes: 256 * 1024 }),
      when,
      3_500,
    );
    expectCode(error, ['ERR_REPLY_TOO_LARGE'], when);
    expectDestroyed(watch);
  });

  it('rejects with a RangeError, before connecting and without throwing, for a port out of range or a bad timeout', async () => {
    // A server of the test's own, for the case whose port is valid: if
    // request() connected before checking timeoutMs, the connection lands here.
    const arrived: Array<number | undefined> = [];
    const server = createServer((socket) => {
      socket.on('error', () => {});
      arrived.push(socket.remotePort);
    });
    const port = await kit.listen(server);
    const opened = watchClientSockets();
    for (const [badPort, options, what] of [
      [70_000, {}, 'port 70000'],
      [0, {}, 'port 0'],
      [port, { timeoutMs: -1 }, 'timeoutMs -1'],
    ] as const) {
      let promise: Promise<Buffer> | undefined;
      expect(() => {
        promise = request(badPort, Buffer.from('x'), options);
      }, `request() should return a rejected promise for ${what}, not throw`).not.toThrow();
      const error = await rejectionOf(promise!, `called with ${what}`);
      expect(error, `request() should reject with a RangeError for ${what}, got: ${error.message}`).toBeInstanceOf(
        RangeError,
      );
      expect(
        opened.count(),
        `request() rejected with a RangeError for ${what}, but only after calling connect(): check the port and every option first, and connect only when all are valid`,
      ).toBe(0);
    }
    // A connection made now reaches the server after any that request() started earlier.
    const probe = await kit.connect(port);
    for (let i = 0; i < 10 && !arrived.includes(probe.localPort); i++) {
      await nextEvent(server, 'connection', { message: "the test's own connection never reached the test's server" });
    }
    expect(
      arrived.length - 1,
      'request() connected to the server although timeoutMs was -1: check every option first, and connect only when all are valid',
    ).toBe(0);
  });
});
