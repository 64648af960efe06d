import { connect, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HOST, expectBytes, nextEvent, readUntilEnd, useNetKit, withDeadline } from '../../runner/kit/index.ts';
import { createDrainingServer, type LineHandler } from './graceful-shutdown.ts';
import { LineClient } from './line-client.ts';
import { shout } from './shout-protocol.ts';

const kit = useNetKit();

/** A handler whose replies wait until the test releases them; it records every line it was given. */
function gatedHandler(): {
  handle: LineHandler;
  started: string[];
  release: () => void;
  whenStarted: (n: number) => Promise<void>;
} {
  const started: string[] = [];
  let release = (): void => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let wake = (): void => {};
  const handle: LineHandler = async (line) => {
    started.push(line.toString());
    wake();
    await gate;
    return shout(line);
  };
  const whenStarted = (n: number): Promise<void> =>
    withDeadline(
      (async () => {
        while (started.length < n) await new Promise<void>((resolve) => (wake = resolve));
      })(),
      { message: `your server never handed the ${n === 1 ? 'request' : `${n} requests`} to the handler` },
    );
  return { handle, started, release, whenStarted };
}

async function client(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<LineClient> {
  return new LineClient(await kit.connect(port, options));
}

function shutdownOf(server: Server, shutdown: (ms: number) => Promise<unknown>, graceMs: number) {
  return withDeadline(shutdown(graceMs), {
    ms: graceMs + 3_000,
    message: `shutdown(${graceMs}) never resolved: at the deadline, destroy what is still open`,
  }).then((report) => {
    expect(server.listening, 'after shutdown() your server is still listening').toBe(false);
    return report;
  });
}

describe('Task 6: graceful shutdown', () => {
  it('answers with what the handler returns', async () => {
    const { server } = createDrainingServer(async (line) => shout(line));
    const a = await client(await kit.listen(server));
    expectBytes(await a.ask('hello'), 'HELLO\n', 'the reply to "hello"');
  });

  it('answers every line of a client that ends its side (FIN) right after sending them', async () => {
    // The handler takes its time: the client's FIN arrives before the first reply is ready.
    const { server } = createDrainingServer(async (line) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return shout(line);
    });
    const socket = await kit.connect(await kit.listen(server), { allowHalfOpen: true });
    socket.end('one\ntwo\n');
    const got = await readUntilEnd(socket, {
      message: 'your server never ended its side after the client sent two lines and its FIN',
    });
    expectBytes(
      got,
      'ONE\nTWO\n',
      "everything the server sent back (create the server with allowHalfOpen: true, or Node ends your side at the client's FIN, before the replies are ready)",
    );
  });

  it('stops accepting new connections as soon as shutdown begins', async () => {
    const { server, shutdown } = createDrainingServer(async (line) => shout(line));
    const port = await kit.listen(server);
    const done = shutdownOf(server, shutdown, 1_000);
    const refused = connect({ host: HOST, port });
    kit.track(refused);
    const [error] = await nextEvent<[NodeJS.ErrnoException]>(refused, 'error', {
      message: 'a new client could still connect after shutdown() began: call server.close() first',
    });
    expect(error.code, 'a new connection after shutdown must be refused').toBe('ECONNREFUSED');
    expect(await done).toEqual({ drained: 0, cut: 0 });
  });

  it('finishes a request in flight, sends its reply, then ends the connection', async () => {
    const { handle, release, whenStarted } = gatedHandler();
    const { server, shutdown } = createDrainingServer(handle);
    const busy = await client(await kit.listen(server));
    busy.socket.write('in flight\n');
    await whenStarted(1);
    const done = shutdownOf(server, shutdown, 5_000);
    release();
    expectBytes(
      await busy.next({ message: 'the request in flight when shutdown began never got its reply' }),
      'IN FLIGHT\n',
      'the reply to the request in flight',
    );
    await busy.closed({ message: 'after the last reply, your server never ended the connection' });
    expect(busy.endedBy, 'a drained connection ends with FIN, not a reset').toBe('end');
    expect(await done).toEqual({ drained: 1, cut: 0 });
  });

  it('ends an idle connection at once, while another request is still in flight', async () => {
    const { handle, release, whenStarted } = gatedHandler();
    const { server, shutdown } = createDrainingServer(handle);
    const port = await kit.listen(server);
    const busy = await client(port);
    const idle = await client(port);
    busy.socket.write('slow\n');
    await whenStarted(1);
    const done = shutdownOf(server, shutdown, 5_000);
    await idle.closed({ message: 'shutdown began, but your server kept an idle connection open: end() it now' });
    expect(idle.endedBy, 'an idle connection ends with FIN').toBe('end');
    expect(busy.ended, 'your server closed a connection whose request was still in flight').toBe(false);
    release();
    expectBytes(await busy.next(), 'SLOW\n', 'the reply to the request in flight');
    expect(await done).toEqual({ drained: 2, cut: 0 });
  });

  it('loses no reply of 20 clients with requests in flight', async () => {
    const { handle, release, whenStarted } = gatedHandler();
    const { server, shutdown } = createDrainingServer(handle);
    const port = await kit.listen(server);
    const clients = await Promise.all(Array.from({ length: 20 }, () => client(port)));
    clients.forEach((c, i) => c.socket.write(`request ${i}\n`));
    await whenStarted(20);
    const done = shutdownOf(server, shutdown, 5_000);
    release();
    const replies = await Promise.all(clients.map((c) => c.next().then(String)));
    expect(
      replies.filter((r, i) => r === `REQUEST ${i}\n`).length,
      'some clients lost the reply to a request in flight',
    ).toBe(20);
    expect(await done).toEqual({ drained: 20, cut: 0 });
  });

  it('does not start the requests that come after the one in flight', async () => {
    const { handle, started, release, whenStarted } = gatedHandler();
    const { server, shutdown } = createDrainingServer(handle);
    const a = await client(await kit.listen(server));
    a.socket.write('one\ntwo\n');
    await whenStarted(1);
    const done = shutdownOf(server, shutdown, 5_000);
    release();
    expectBytes(await a.next(), 'ONE\n', 'the reply to the request in flight');
    await a.closed({ message: 'after the reply in flight, your server never ended the connection' });
    expect(started, 'your server started a request that arrived after shutdown began').toEqual(['one']);
    await done;
  });

  it('destroys what is left at the deadline: a handler that never returns', async () => {
    const { handle, whenStarted } = gatedHandler(); // never released
    const { server, shutdown } = createDrainingServer(handle);
    const a = await client(await kit.listen(server));
    a.socket.write('forever\n');
    await whenStarted(1);
    expect(await shutdownOf(server, shutdown, 200)).toEqual({ drained: 0, cut: 1 });
    await a.closed();
  });

  it('destroys at the deadline a client that never closes its side', async () => {
    const { server, shutdown } = createDrainingServer(async (line) => shout(line));
    // allowHalfOpen: this client does not answer the server's FIN with its own.
    const stubborn = await client(await kit.listen(server), { allowHalfOpen: true });
    await stubborn.ask('hi');
    expect(await shutdownOf(server, shutdown, 200)).toEqual({ drained: 0, cut: 1 });
  });

  it('returns the same result when shutdown() is called twice', async () => {
    const { server, shutdown } = createDrainingServer(async (line) => shout(line));
    await kit.listen(server);
    const [first, second] = await Promise.all([shutdown(500), shutdown(500)]);
    expect(second, 'a second shutdown() must not start another one').toEqual(first);
  });

  it.each([-1, Number.NaN, 2 ** 31])('rejects shutdown(%s) with a RangeError', async (graceMs) => {
    const { server, shutdown } = createDrainingServer(async (line) => shout(line));
    await kit.listen(server);
    const outcome = await shutdown(graceMs).then(
      () => 'it resolved',
      (error: unknown) => error,
    );
    expect(outcome instanceof RangeError, `shutdown(${graceMs}) must reject with a RangeError`).toBe(true);
  });
});
