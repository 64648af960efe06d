import type { Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { expectBytes, nextEvent, readExactly, resetClient, useNetKit } from '../../runner/kit/index.ts';
import { createIdleEchoServer } from './idle-timeout.ts';

const kit = useNetKit();

// Small limits keep the file fast; every wait for a hang-up allows more
// than ten times the limit, so a busy machine does not fail the tests.
const IDLE_MS = 150;
const HANG_UP_DEADLINE_MS = 2_500;
// Where a connection must NOT be cut, the limit is longer: the test and the
// server share one event loop, so a machine too busy to run the test for
// IDLE_MS would look, to the server, like a silent client.
const PATIENT_IDLE_MS = 500;
// For tests that never wait for a hang-up, a limit they cannot reach.
const UNREACHED_IDLE_MS = 10_000;

/** Starts `server` (if not yet listening) and connects one client; resolves with both ends of that connection. */
async function connectTo(
  server: Server,
  options: { allowHalfOpen?: boolean } = {},
): Promise<{ client: Socket; serverSide: Socket }> {
  const port = await kit.listen(server);
  const accepted = nextEvent<[Socket]>(server, 'connection', { message: 'your server never accepted the connection' });
  const client = await kit.connect(port, options);
  const [serverSide] = await accepted;
  return { client, serverSide };
}

const neverClosed = (idleMs: number): string =>
  `your server never closed a client that was silent for ${idleMs} ms. socket.setTimeout() only emits 'timeout'; closing the socket is up to you.`;

describe('Task 5: an echo server with an idle timeout', () => {
  it('echoes like the server of task 1', async () => {
    const { client } = await connectTo(createIdleEchoServer(UNREACHED_IDLE_MS));
    client.write('hello');
    expectBytes(
      await readExactly(client, 5, { message: 'your server accepted the connection but never echoed "hello"' }),
      'hello',
      'the echo of "hello"',
    );
  });

  it('closes a client that connects and never sends anything', async () => {
    const { serverSide } = await connectTo(createIdleEchoServer(IDLE_MS));
    await nextEvent(serverSide, 'close', { ms: HANG_UP_DEADLINE_MS, message: neverClosed(IDLE_MS) });
  });

  it('closes a client that goes silent after talking', async () => {
    const { client, serverSide } = await connectTo(createIdleEchoServer(PATIENT_IDLE_MS));
    client.write('one message, then silence');
    await readExactly(client, 25, { message: 'your server never echoed the first message' });
    await nextEvent(serverSide, 'close', {
      ms: HANG_UP_DEADLINE_MS + PATIENT_IDLE_MS,
      message: neverClosed(PATIENT_IDLE_MS),
    });
  });

  it('frees the connection even when the silent client never closes its side', async () => {
    // With allowHalfOpen, this client does not answer the server's FIN with
    // its own, like a client that has vanished: only destroy() frees it.
    const { serverSide } = await connectTo(createIdleEchoServer(IDLE_MS), { allowHalfOpen: true });
    await nextEvent(serverSide, 'close', {
      ms: HANG_UP_DEADLINE_MS,
      message: `the connection of a client silent for ${IDLE_MS} ms stayed open. If you called end(), it waits for the client's own end, which never comes: use destroy().`,
    });
  });

  it('never cuts a client that keeps talking, while cutting a silent one', async () => {
    const server = createIdleEchoServer(PATIENT_IDLE_MS);
    const { client: talker } = await connectTo(server);
    const { serverSide: silentSide } = await connectTo(server);
    const silentClosed = nextEvent(silentSide, 'close', {
      ms: HANG_UP_DEADLINE_MS + PATIENT_IDLE_MS,
      message: neverClosed(PATIENT_IDLE_MS),
    });

    let talkerClosed = false;
    talker.once('close', () => (talkerClosed = true));
    // The talker sends one byte every 20 ms, for 1.6 times the limit in all
    // (a timer is the point: short pauses, long total). Bounded: 100 rounds.
    const until = performance.now() + 1.6 * PATIENT_IDLE_MS;
    for (let round = 0; round < 100 && performance.now() < until; round++) {
      talker.write('.');
      await readExactly(talker, 1, {
        message: 'your server stopped echoing to a client that sends a byte every 20 ms',
      }).catch((error: Error) => {
        throw new Error(
          `your server cut a client that was sending a byte every 20 ms (idleMs ${PATIENT_IDLE_MS}): the countdown must restart whenever data moves. (${error.message})`,
        );
      });
      await sleep(20);
    }
    expect(
      talkerClosed,
      `your server closed a client that kept talking for ${1.6 * PATIENT_IDLE_MS} ms with pauses of 20 ms`,
    ).toBe(false);
    await silentClosed;
  });

  it('keeps serving after a client resets its connection (ECONNRESET)', async () => {
    const server = createIdleEchoServer(UNREACHED_IDLE_MS);
    const { client: rude, serverSide } = await connectTo(server);
    await resetClient(rude, serverSide);
    const { client: polite } = await connectTo(server);
    polite.write('still there?');
    expectBytes(await readExactly(polite, 12), 'still there?', 'the echo after a reset');
  });

  it.each([
    [0, 'socket.setTimeout(0) switches the idle timer off'],
    [-100, 'socket.setTimeout(-100) would throw when the first client connects, crashing the server'],
    [Number.NaN, 'socket.setTimeout(NaN) would throw when the first client connects, crashing the server'],
    [
      Number.POSITIVE_INFINITY,
      'socket.setTimeout(Infinity) would throw when the first client connects, crashing the server',
    ],
    [2 ** 31, 'a Node timer holds at most 2^31 - 1 ms'],
  ])('refuses idleMs %s with a RangeError (%s)', (idleMs, why) => {
    let thrown: unknown;
    try {
      createIdleEchoServer(idleMs); // never started, so nothing to close
    } catch (error) {
      thrown = error;
    }
    const outcome = thrown === undefined ? 'it returned a server' : `it threw ${String(thrown)}`;
    expect(
      thrown instanceof RangeError,
      `createIdleEchoServer(${idleMs}) should throw a RangeError (${why}), but ${outcome}`,
    ).toBe(true);
  });
});
