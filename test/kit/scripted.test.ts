// ScriptedPeer stands in for a connection when testing client code, so its
// promises are the ones a test relies on: the chunks arrive as chosen, and
// every byte the client writes is recorded.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeadlineError, NetKit, ScriptedPeer } from '../../runner/kit/index.ts';

afterEach(() => {
  vi.useRealTimers();
});

const b = (text: string): Buffer => Buffer.from(text);

/** What a promise rejected with (fails the test if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected a rejection, got ${String(outcome.value)}`);
  return outcome.error as Error;
}

/** Collects the 'data' events of `peer` as strings, and whether 'end' came. */
function listen(peer: ScriptedPeer): { chunks: string[]; ended: boolean } {
  const seen = { chunks: [] as string[], ended: false };
  peer.on('data', (chunk: Buffer) => seen.chunks.push(chunk.toString()));
  peer.on('end', () => (seen.ended = true));
  return seen;
}

describe('ScriptedPeer.deliver', () => {
  it("delivers each chunk as its own 'data' event, in order", async () => {
    const peer = new ScriptedPeer();
    const seen = listen(peer);
    await peer.deliver([b('GE'), b('T /'), b(' '), b('HTTP/1.0\r\n')]);
    expect(seen.chunks).toEqual(['GE', 'T /', ' ', 'HTTP/1.0\r\n']);
  });

  it('keeps the chunks apart even when they are delivered before anyone reads', async () => {
    const peer = new ScriptedPeer();
    await peer.deliver([b('ab'), b('cd'), b('e')]);
    const seen = listen(peer);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.chunks).toEqual(['ab', 'cd', 'e']);
  });

  it('pushes one chunk per event-loop turn, not all at once', async () => {
    const peer = new ScriptedPeer();
    const seen = listen(peer);
    const delivering = peer.deliver([b('a'), b('b'), b('c')]);
    expect(seen.chunks).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.chunks.length).toBeLessThan(3);
    await delivering;
    expect(seen.chunks).toEqual(['a', 'b', 'c']);
  });

  it('ends the readable side after the chunks when asked, and not otherwise', async () => {
    const peer = new ScriptedPeer();
    const seen = listen(peer);
    await peer.deliver([b('bye')]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.ended).toBe(false);
    const ended = new Promise((resolve) => peer.once('end', resolve));
    await peer.deliver([b('!')], { end: true });
    await ended;
    expect(seen.chunks).toEqual(['bye', '!']);
  });

  it('accepts Uint8Arrays as well as Buffers, and delivers Buffers', async () => {
    const peer = new ScriptedPeer();
    const chunks: unknown[] = [];
    peer.on('data', (chunk: unknown) => chunks.push(chunk));
    await peer.deliver([new Uint8Array([0x68, 0x69]), b('!')]);
    expect(chunks.every((c) => Buffer.isBuffer(c))).toBe(true);
    expect(Buffer.concat(chunks as Buffer[]).toString()).toBe('hi!');
  });
});

describe('ScriptedPeer as the other end of a client', () => {
  it('records every byte the client writes, in order', () => {
    const peer = new ScriptedPeer();
    expect(peer.received).toEqual(Buffer.alloc(0));
    peer.write('HELO ');
    peer.write(b('example\r\n'));
    expect(peer.received.toString()).toBe('HELO example\r\n');
  });

  it('keeps a copy of what was written', () => {
    const peer = new ScriptedPeer();
    const mine = b('abc');
    peer.write(mine);
    mine[0] = 0x78;
    expect(peer.received.toString()).toBe('abc');
  });

  it('calls onWrite with each chunk and the peer, so it can reply', async () => {
    const onWrite = vi.fn((chunk: Buffer, peer: ScriptedPeer) => {
      if (chunk.toString() === 'PING\n') void peer.deliver([b('PONG\n')]);
    });
    const peer = new ScriptedPeer(onWrite);
    const reply = new Promise<Buffer>((resolve) => peer.once('data', resolve));
    peer.write('PING\n');
    expect(String(await reply)).toBe('PONG\n');
    expect(onWrite).toHaveBeenCalledTimes(1);
    expect(onWrite.mock.calls[0]![1]).toBe(peer);
  });

  it('tells whether the client has ended its side', async () => {
    const peer = new ScriptedPeer();
    peer.write('last words');
    expect(peer.clientEnded).toBe(false);
    await new Promise<void>((resolve) => peer.end(() => resolve()));
    expect(peer.clientEnded).toBe(true);
  });

  it('stays readable after the client ends its side (half-close)', async () => {
    const peer = new ScriptedPeer();
    const seen = listen(peer);
    await new Promise<void>((resolve) => peer.end('request', () => resolve()));
    await peer.deliver([b('response')], { end: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual({ chunks: ['response'], ended: true });
  });

  it('is closed by NetKit.closeAll when tracked', async () => {
    const kit = new NetKit();
    const peer = kit.track(new ScriptedPeer());
    await kit.closeAll();
    expect(peer.destroyed).toBe(true);
  });
});

describe('ScriptedPeer.waitForBytes', () => {
  it('resolves with everything written once enough bytes have come, over several writes', async () => {
    const peer = new ScriptedPeer();
    const waited = peer.waitForBytes(6);
    peer.write('abc');
    setImmediate(() => peer.write('defg'));
    expect(String(await waited)).toBe('abcdefg');
  });

  it('resolves at once when the bytes were already written', async () => {
    const peer = new ScriptedPeer();
    peer.write('hello');
    expect(String(await peer.waitForBytes(5))).toBe('hello');
  });

  it('rejects when the client ends its side too early', async () => {
    const peer = new ScriptedPeer();
    const waited = rejection(peer.waitForBytes(5));
    peer.end('he');
    expect((await waited).message).toBe('the client ended its side after writing 2 of the 5 bytes expected');
  });

  it('says how many bytes the client wrote when the deadline passes', async () => {
    const peer = new ScriptedPeer();
    peer.write('he');
    const error = await rejection(peer.waitForBytes(5, { ms: 30 }));
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error.message).toBe('the client wrote only 2 of the 5 bytes expected within 30 ms');
  });

  it('waits 2 s by default, and uses the message it is given', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const peer = new ScriptedPeer();
    const plain = rejection(peer.waitForBytes(1));
    const told = rejection(peer.waitForBytes(1, { message: 'your client never sent its greeting' }));
    await vi.advanceTimersByTimeAsync(2000);
    expect((await plain).message).toBe('the client wrote only 0 of the 1 bytes expected within 2 s');
    expect((await told).message).toBe('your client never sent its greeting within 2 s');
  });
});
