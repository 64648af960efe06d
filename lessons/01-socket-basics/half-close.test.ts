import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  DeadlineError,
  bytewise,
  expectBytes,
  nextEvent,
  readUntilEnd,
  startProxy,
  useNetKit,
  withDeadline,
} from '../../runner/kit/index.ts';
import { createHalfCloseServer } from './half-close.ts';

const kit = useNetKit();

/**
 * A handler the test controls: each call is recorded, and its reply is
 * held back until the test calls `release(i, reply)`.
 */
function heldHandler() {
  const requests: Buffer[] = [];
  const releases: Array<(reply: Uint8Array | Error) => void> = [];
  let notify = (): void => {};
  const handle = (request: Buffer): Promise<Uint8Array> => {
    requests.push(Buffer.from(request));
    notify();
    return new Promise((resolve, reject) =>
      releases.push((reply) => (reply instanceof Error ? reject(reply) : resolve(reply))),
    );
  };
  /** Resolves once handle() has been called `n` times in all. */
  const called = (n: number, message: string): Promise<void> =>
    withDeadline(
      new Promise<void>((resolve) => {
        notify = () => requests.length >= n && resolve();
        notify();
      }),
      { message },
    );
  const release = (i: number, reply: Uint8Array | Error): void => releases[i]!(reply);
  return { handle, requests, called, release };
}

const upperCase = async (request: Buffer): Promise<Uint8Array> =>
  Buffer.from(request.toString('latin1').toUpperCase(), 'latin1');

const NEVER_CALLED =
  "your server never called handle(): call it once the client has ended its side (the socket's 'end' event)";

describe('Task 4: a server that replies after the client half-closes', () => {
  it('sends the reply after asynchronous work, although the client has already called end()', async () => {
    const held = heldHandler();
    const client = await kit.connect(await kit.listen(createHalfCloseServer(held.handle)));
    client.end('hello');
    await held.called(1, NEVER_CALLED);
    expectBytes(held.requests[0]!, 'hello', 'the request handle() received');
    held.release(0, Buffer.from('HELLO'));
    const reply = await readUntilEnd(client, {
      message: 'handle() returned "HELLO", but your server never sent it and ended the connection',
    });
    expect(
      reply.length,
      "the connection ended without the reply: after the client's end(), Node ended your side too, so the reply written later was lost. Create the server with allowHalfOpen: true",
    ).toBeGreaterThan(0);
    expectBytes(reply, 'HELLO', 'the reply');
  });

  it('calls handle() once with the whole request, even when it arrives one byte at a time', async () => {
    let calls = 0;
    const server = createHalfCloseServer(async (request) => {
      calls++;
      return Buffer.from(`${request.length}:${request.toString('latin1')}`, 'latin1');
    });
    const proxy = await startProxy(kit, await kit.listen(server), { toServer: { chunker: bytewise } });
    const client = await kit.connect(proxy.port);
    client.end('hello, world');
    expectBytes(await readUntilEnd(client), '12:hello, world', 'the reply (length:request, as handle() saw it)');
    expect(
      calls,
      `handle() should be called exactly once per connection, not ${calls} times: call it once, on 'end', with all the bytes`,
    ).toBe(1);
  });

  it('passes an empty request to handle() when the client ends at once', async () => {
    const client = await kit.connect(
      await kit.listen(createHalfCloseServer(async (request) => Buffer.from(`got ${request.length} bytes`))),
    );
    client.end();
    expectBytes(await readUntilEnd(client), 'got 0 bytes', 'the reply to an empty request');
  });

  it('handles a 1 MiB request and a 1 MiB reply', async () => {
    const payload = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 13) & 0xff;
    const client = await kit.connect(await kit.listen(createHalfCloseServer(async (request) => request)));
    client.end(payload);
    expectBytes(
      await readUntilEnd(client, { ms: 5_000 }),
      payload,
      'the 1 MiB reply (the handler sends the request back)',
    );
  });

  it('serves two clients at once, each with its own request and reply', async () => {
    const held = heldHandler();
    const port = await kit.listen(createHalfCloseServer(held.handle));
    const first = await kit.connect(port);
    first.end('first');
    await held.called(1, NEVER_CALLED);
    const second = await kit.connect(port);
    second.end('second');
    await held.called(2, 'your server never called handle() for the second client');
    // Finish the second request before the first.
    held.release(1, await upperCase(held.requests[1]!));
    expectBytes(await readUntilEnd(second), 'SECOND', "the second client's reply");
    held.release(0, await upperCase(held.requests[0]!));
    expectBytes(await readUntilEnd(first), 'FIRST', "the first client's reply");
  });

  it('destroys the connection, without calling handle(), once a request passes maxRequestBytes', async () => {
    let calls = 0;
    const server = createHalfCloseServer(
      async (request) => {
        calls++;
        return request;
      },
      { maxRequestBytes: 1_000 },
    );
    const port = await kit.listen(server);
    const client = await kit.connect(port);
    client.on('error', () => {}); // the server may reset the connection: that is expected here
    const received: Buffer[] = [];
    client.on('data', (chunk: Buffer) => received.push(chunk));
    client.write(Buffer.alloc(1_001, 0x61)); // one byte too many, and the client does not end
    await nextEvent(client, 'close', {
      message:
        'your server kept a connection open after receiving 1,001 bytes with maxRequestBytes 1,000: destroy it as soon as the limit is passed, without waiting for the end.',
    });
    expect(calls, `handle() must not be called for a request over the limit, but it was called ${calls} times`).toBe(0);
    const replied = Buffer.concat(received).length;
    expect(replied, `no reply should be sent for a request over the limit, but ${replied} bytes came`).toBe(0);

    const next = await kit.connect(port);
    next.end(Buffer.alloc(1_000, 0x62)); // exactly the limit is fine
    const answer = await readUntilEnd(next, {
      message: 'your server never answered a request of exactly maxRequestBytes (1,000 bytes)',
    });
    expect(
      answer.length,
      `a request of exactly maxRequestBytes (1,000 bytes) should be answered in full (the handler sends it back), but ${answer.length} bytes came`,
    ).toBe(1_000);
  });

  it('closes the connection without a reply when handle() rejects, and keeps serving', async () => {
    const server = createHalfCloseServer(async (request) => {
      if (request.toString() === 'bad') throw new Error('the handler failed on purpose');
      return upperCase(request);
    });
    const port = await kit.listen(server);
    const bad = await kit.connect(port);
    bad.on('error', () => {}); // a reset is an acceptable way to close here
    bad.end('bad');
    const reply = await readUntilEnd(bad, {
      message: 'your server never closed the connection after handle() rejected',
    }).catch((error: unknown) => {
      if (error instanceof DeadlineError) throw error;
      return Buffer.alloc(0); // reset by the server: no reply, as expected
    });
    expect(reply.length, `no reply bytes should be sent when handle() rejects, but ${reply.length} came`).toBe(0);

    const good = await kit.connect(port);
    good.end('good');
    expectBytes(await readUntilEnd(good), 'GOOD', 'the reply to the next client');
  });

  it('survives a client that resets the connection while handle() is still working', async () => {
    const held = heldHandler();
    const server = createHalfCloseServer(held.handle);
    const port = await kit.listen(server);
    const accepted = nextEvent<[Socket]>(server, 'connection');
    const rude = await kit.connect(port);
    const [serverSide] = await accepted;
    rude.end('hello');
    await held.called(1, NEVER_CALLED);
    expect(
      serverSide.listenerCount('error'),
      "your server does not listen for 'error' on the client's socket: one client resetting the connection would crash it",
    ).toBeGreaterThan(0);
    rude.resetAndDestroy();
    // The server has already read the whole request, so it learns of the
    // reset only when it writes the reply: that write fails (EPIPE or
    // ECONNRESET), and without an 'error' listener the server would crash.
    const closed = nextEvent(serverSide, 'close', {
      message: "your server's socket never closed after the client reset it and the reply failed",
    });
    held.release(0, Buffer.from('too late'));
    await closed;

    const polite = await kit.connect(port);
    polite.end('again');
    await held.called(2, 'your server stopped calling handle() after a client reset its connection');
    held.release(1, Buffer.from('AGAIN'));
    expectBytes(await readUntilEnd(polite), 'AGAIN', 'the reply to the next client');
  });
});
