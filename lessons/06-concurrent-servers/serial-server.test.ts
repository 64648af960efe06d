import { describe, expect, it } from 'vitest';
import { expectBytes, useNetKit } from '../../runner/kit/index.ts';
import { LineClient } from './line-client.ts';
import { createSerialServer } from './serial-server.ts';

const kit = useNetKit();

async function client(port: number): Promise<LineClient> {
  return new LineClient(await kit.connect(port));
}

describe('Task 1: one client at a time', () => {
  it('shouts each line back, upper case, newline-terminated', async () => {
    const port = await kit.listen(createSerialServer());
    const a = await client(port);
    expectBytes(await a.ask('hello'), 'HELLO\n', 'the reply to "hello"');
    expectBytes(await a.ask('Hi there, 42!'), 'HI THERE, 42!\n', 'the reply to "Hi there, 42!"');
    a.socket.write('one\ntwo\n'); // two requests in one write
    expectBytes(await a.next(), 'ONE\n', 'the reply to the first of two lines sent together');
    expectBytes(await a.next(), 'TWO\n', 'the reply to the second of two lines sent together');
  });

  it('answers a line that arrives one byte at a time', async () => {
    const port = await kit.listen(createSerialServer());
    const a = await client(port);
    for (const byte of Buffer.from('slow\n')) {
      a.socket.write(Buffer.of(byte));
      await new Promise((resolve) => setImmediate(resolve)); // let each byte go out alone
    }
    expectBytes(await a.next(), 'SLOW\n', 'the reply to "slow" sent one byte at a time');
  });

  it('makes the second client wait until the first one leaves', async () => {
    const port = await kit.listen(createSerialServer());
    const first = await client(port);
    expectBytes(await first.ask('first'), 'FIRST\n', 'the reply to the first client');
    // The second client connects: the kernel completes the handshake, so
    // connect succeeds, just as it did for the tutorials' Python clients.
    const second = await client(port);
    second.socket.write('second\n');
    // While the first client keeps talking, the second one gets nothing.
    for (let i = 0; i < 5; i++) {
      await first.ask(`again ${i}`);
      expect(
        second.waitingLines,
        'your server answered the second client while the first was still connected: in task 1, one client is served at a time',
      ).toBe(0);
    }
    first.socket.end();
    expectBytes(
      await second.next({ message: 'the first client left, but your server never answered the second one' }),
      'SECOND\n',
      'the reply to the second client, once the first has left',
    );
  });

  it('serves waiting clients in the order they connected', async () => {
    const port = await kit.listen(createSerialServer());
    const first = await client(port);
    await first.ask('warm up');
    const waiting: LineClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await client(port);
      c.socket.write(`client ${i}\n`);
      waiting.push(c);
    }
    first.socket.end();
    for (let i = 0; i < 3; i++) {
      expectBytes(await waiting[i]!.next(), `CLIENT ${i}\n`, `the reply to waiting client ${i}`);
      expect(
        waiting.slice(i + 1).map((c) => c.waitingLines),
        'a later client was served first',
      ).toEqual(waiting.slice(i + 1).map(() => 0));
      waiting[i]!.socket.end();
    }
  });

  it('keeps serving after a waiting client resets its connection', async () => {
    const server = createSerialServer();
    const port = await kit.listen(server);
    const first = await client(port);
    await first.ask('hello');
    const rude = await client(port);
    rude.socket.write('never mind\n');
    rude.socket.resetAndDestroy();
    const polite = await client(port);
    polite.socket.write('still there?\n');
    first.socket.end();
    expectBytes(
      await polite.next({
        message: 'after a waiting client reset its connection, your server never served the next one',
      }),
      'STILL THERE?\n',
      'the reply after a reset',
    );
  });

  it('refuses a line longer than 1,024 bytes with "ERR too long" and serves the next client', async () => {
    const port = await kit.listen(createSerialServer());
    const flood = await client(port);
    flood.socket.write(Buffer.alloc(5_000, 0x61)); // no newline, ever
    expectBytes(await flood.next(), 'ERR too long\n', 'the refusal of a 5,000-byte line');
    await flood.closed({ message: 'your server sent "ERR too long" but never closed the connection' });
    const next = await client(port);
    expectBytes(await next.ask('next'), 'NEXT\n', 'the reply to the client after the flood');
  });
});
