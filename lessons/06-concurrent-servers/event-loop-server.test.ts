import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { expectBytes, nextEvent, useNetKit } from '../../runner/kit/index.ts';
import { createShoutServer } from './event-loop-server.ts';
import { LineClient } from './line-client.ts';

const kit = useNetKit();

async function client(port: number): Promise<LineClient> {
  return new LineClient(await kit.connect(port));
}

/** The server's side of the next connection to `port`, and the client's. */
async function pair(server: ReturnType<typeof createShoutServer>, port: number) {
  const accepted = nextEvent<[Socket]>(server, 'connection', { message: 'your server never accepted the connection' });
  const c = await client(port);
  const [serverSide] = await accepted;
  return { client: c, serverSide };
}

const CLIENTS = 1_000;
// Connect in waves: a burst bigger than the listen backlog (511 by
// default) would wait a second for SYN retries, which is task 2's topic.
const WAVE = 100;

describe('Task 3: one event loop, a thousand clients', () => {
  it('shouts back each line, in order', async () => {
    const port = await kit.listen(createShoutServer());
    const a = await client(port);
    expectBytes(await a.ask('hello'), 'HELLO\n', 'the reply to "hello"');
    a.socket.write('x\ny\n\n');
    expectBytes(await a.next(), 'X\n', 'the reply to the first of three lines');
    expectBytes(await a.next(), 'Y\n', 'the reply to the second of three lines');
    expectBytes(await a.next(), '\n', 'the reply to an empty line');
  });

  it('answers a client while another one is stalled halfway through a line', async () => {
    const port = await kit.listen(createShoutServer());
    const stalled = await client(port);
    stalled.socket.write('I will finish this line later');
    const other = await client(port);
    expectBytes(
      await other.ask('me first', {
        message: 'your server never answered a client while another was stalled mid-line',
      }),
      'ME FIRST\n',
      'the reply to the second client',
    );
    stalled.socket.write('\n');
    expectBytes(await stalled.next(), 'I WILL FINISH THIS LINE LATER\n', 'the reply to the stalled line');
  });

  it(`gives each of ${CLIENTS} concurrent clients exactly its own replies`, { timeout: 30_000 }, async () => {
    const port = await kit.listen(createShoutServer());
    const clients: LineClient[] = [];
    for (let start = 0; start < CLIENTS; start += WAVE) {
      const wave = Array.from({ length: Math.min(WAVE, CLIENTS - start) }, () => client(port));
      clients.push(...(await Promise.all(wave)));
    }
    // Every client sends two lines of its own in one write, all at once.
    const token = (i: number): string => `client ${i} ${((i * 2654435761) >>> 0).toString(36)}`;
    clients.forEach((c, i) => c.socket.write(`${token(i)}\nbye ${i}\n`));
    const replies = await Promise.all(
      clients.map(async (c, i) => {
        const what = { ms: 15_000, message: `client ${i} of ${CLIENTS} never got its reply` };
        return [(await c.next(what)).toString(), (await c.next(what)).toString()];
      }),
    );
    const wrong = replies.flatMap((got, i) =>
      got[0] === `${token(i).toUpperCase()}\n` && got[1] === `BYE ${i}\n` ? [] : [i],
    );
    expect(
      wrong.length,
      `${wrong.length} of ${CLIENTS} clients got a reply that was not theirs (first: client ${wrong[0]} got ${JSON.stringify(replies[wrong[0] ?? 0])})`,
    ).toBe(0);
  });

  it('keeps serving others while a client sends and never reads, and holds little for it', async () => {
    const server = createShoutServer();
    const port = await kit.listen(server);
    const { client: flooder, serverSide } = await pair(server, port);
    flooder.socket.pause(); // never reads its replies
    const chunk = Buffer.from(`${'a'.repeat(1023)}\n`.repeat(64)); // 64 requests of 1 KiB
    // Bounded: at most 8 MiB, and we stop once the buffers between us are full.
    for (let i = 0; i < 128 && flooder.socket.write(chunk); i++) await new Promise((r) => setImmediate(r));
    const other = await client(port);
    for (let i = 0; i < 5; i++) {
      expectBytes(
        await other.ask(`ping ${i}`, { message: 'your server stopped answering others while one client never read' }),
        `PING ${i}\n`,
        `the reply to ping ${i}`,
      );
    }
    const held = serverSide.writableLength + serverSide.readableLength;
    expect(
      held,
      `your server holds ${held} bytes for a client that never reads: when socket.write() returns false, socket.pause() until 'drain'`,
    ).toBeLessThan(1024 * 1024);
  });

  it('refuses a line longer than maxLineBytes with "ERR too long", then ends the connection', async () => {
    const port = await kit.listen(createShoutServer({ maxLineBytes: 16 }));
    const a = await client(port);
    expectBytes(await a.ask('sixteen bytes ok'), 'SIXTEEN BYTES OK\n', 'the reply to a 16-byte line');
    a.socket.write('seventeen bytes!!'); // 17 bytes and no newline yet
    expectBytes(await a.next(), 'ERR too long\n', 'the refusal of a 17-byte line');
    await a.closed({ message: 'your server sent "ERR too long" but never closed the connection' });
    expect(a.endedBy, 'after a refusal your server must end the connection with FIN, not reset it').toBe('end');
  });

  it('answers the lines before a too-long line in the same write, then refuses it', async () => {
    const port = await kit.listen(createShoutServer());
    const a = await client(port);
    a.socket.write(`ok\nfine\n${'x'.repeat(1025)}`); // 1,025 bytes without a newline: one too many
    expectBytes(await a.next(), 'OK\n', 'the reply to the line before the long one');
    expectBytes(await a.next(), 'FINE\n', 'the reply to the second line before the long one');
    expectBytes(await a.next(), 'ERR too long\n', 'the refusal of the 1,025-byte line');
    await a.closed({ message: 'your server sent "ERR too long" but never closed the connection' });
    expect(a.endedBy, 'after a refusal your server must end the connection with FIN, not reset it').toBe('end');
  });

  it('keeps serving after a client resets halfway through a line', async () => {
    const server = createShoutServer();
    const port = await kit.listen(server);
    const { client: rude, serverSide } = await pair(server, port);
    rude.socket.write('half a li');
    rude.socket.resetAndDestroy();
    await nextEvent(serverSide, 'close', { message: 'your server never noticed the client reset the connection' });
    const polite = await client(port);
    expectBytes(await polite.ask('still there?'), 'STILL THERE?\n', 'the reply after a reset');
  });

  it('ends its side when the client ends, dropping a last line without a newline', async () => {
    const port = await kit.listen(createShoutServer());
    const a = await client(port);
    a.socket.end('done\nno newline');
    expectBytes(await a.next(), 'DONE\n', 'the reply to the last whole line');
    await a.closed({ message: 'the client ended its side, but your server never ended the connection' });
    expect(a.partialBytes, 'your server answered bytes that were not a whole line').toBe(0);
    expect(a.waitingLines, 'your server answered bytes that were not a whole line').toBe(0);
  });
});
