// Lesson 06's given shout-protocol.ts: the line splitter and readLines()
// that every server of the lesson is built on. Learners never change this
// file, so its guarantees are tested here, once: lines under any chunking,
// the line cap, bounded read-ahead while the reader is busy, errors, and a
// loop that stops early.
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { newSeed, nextEvent, standardChunkings, useNetKit, withDeadline } from '../../runner/kit/index.ts';
import { LineSplitter, LineTooLongError, readLines } from '../../lessons/06-concurrent-servers/shout-protocol.ts';

const kit = useNetKit();

/** A connected pair: the client's socket, and the server's side of it (unread until a test reads it). */
async function pair(options: { pauseOnConnect?: boolean } = {}): Promise<{ client: Socket; server: Socket }> {
  const listener: Server = createServer({ pauseOnConnect: options.pauseOnConnect ?? false });
  const port = await kit.listen(listener);
  const accepted = nextEvent<[Socket]>(listener, 'connection', { message: 'the connection was never accepted' });
  const client = await kit.connect(port);
  const [server] = await accepted;
  kit.track(server);
  server.on('error', () => {}); // the tests read errors from readLines
  return { client, server };
}

/** Every line `lines` yields, as strings, within 5 s. */
async function all(lines: AsyncGenerator<Buffer>): Promise<string[]> {
  const read = async (): Promise<string[]> => {
    const out: string[] = [];
    for await (const line of lines) out.push(line.toString('latin1'));
    return out;
  };
  return withDeadline(read(), { ms: 5_000, message: 'readLines never ended' });
}

describe('LineSplitter', () => {
  const seed = newSeed();
  const stream = Buffer.from('hello\n\nHi! c3\xa9\nsixteen bytes ok\nno newline', 'latin1');
  for (const [name, chunks] of standardChunkings(stream, seed)) {
    it(`gives every whole line, in order, ${name}`, () => {
      const splitter = new LineSplitter(16);
      const lines = chunks.flatMap((chunk) => [...splitter.lines(chunk)].map((l) => l.toString('latin1')));
      expect(lines).toEqual(['hello', '', 'Hi! c3\xa9', 'sixteen bytes ok']);
    });
  }

  it('throws LineTooLongError as soon as a line passes maxLineBytes, before its newline', () => {
    const splitter = new LineSplitter(16);
    expect([...splitter.lines(Buffer.from(`ok\n${'a'.repeat(10)}`))].map(String)).toEqual(['ok']);
    expect([...splitter.lines(Buffer.from('a'.repeat(6)))]).toEqual([]); // 16 bytes: still allowed
    expect(() => [...splitter.lines(Buffer.from('a'))]).toThrow(LineTooLongError); // the 17th byte
  });
});

describe('readLines', () => {
  it('starts reading a pauseOnConnect socket when the first line is asked for', async () => {
    const { client, server } = await pair({ pauseOnConnect: true });
    client.end('one\ntwo\nthree');
    expect(await all(readLines(server))).toEqual(['one', 'two']);
  });

  it('stops reading while the reader is busy, and reads the rest, unchanged, once asked', async () => {
    const { client, server } = await pair();
    const line = `${'x'.repeat(1023)}\n`;
    const count = 16 * 1024; // 16 MiB: more than the kernel buffers between the two sockets
    client.write(Buffer.from(line.repeat(count)));
    const lines = readLines(server);
    expect((await lines.next()).value?.length).toBe(1023);
    // Nothing signals "the kernel's buffers are full": poll until the
    // bytes read stop moving (bounded: at most 5 s).
    let read = -1;
    for (let i = 0; i < 500 && read !== server.bytesRead; i++) {
      read = server.bytesRead;
      await sleep(10);
    }
    expect(server.bytesRead, 'readLines read ahead without a bound').toBeLessThan(512 * 1024);
    client.end();
    const rest = await all(lines);
    expect(rest.length).toBe(count - 1);
    expect(rest.every((l) => l === line.slice(0, -1))).toBe(true);
  });

  it("throws the socket's error when the client resets halfway through a line", async () => {
    const { client, server } = await pair();
    const lines = readLines(server);
    client.write('one\nhalf a li');
    expect((await lines.next()).value?.toString()).toBe('one');
    client.resetAndDestroy();
    const error = await withDeadline(lines.next(), { message: 'readLines never noticed the reset' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(LineTooLongError);
  });

  it('throws LineTooLongError on a line longer than maxLineBytes', async () => {
    const { client, server } = await pair();
    client.write(`ok\n${'y'.repeat(17)}`);
    const lines = readLines(server, 16);
    expect((await lines.next()).value?.toString()).toBe('ok');
    await expect(withDeadline(lines.next(), { message: 'no LineTooLongError' })).rejects.toThrow(LineTooLongError);
  });

  it('leaves the socket open when the loop stops early; the next reader goes on', async () => {
    const { client, server } = await pair();
    client.write('one\n');
    for await (const line of readLines(server)) {
      expect(line.toString()).toBe('one');
      break;
    }
    expect(server.destroyed).toBe(false);
    client.end('two\n');
    expect(await all(readLines(server))).toEqual(['two']);
  });
});
