import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ScriptedPeer,
  expectBytes,
  newSeed,
  readUntilEnd,
  standardChunkings,
  withDeadline,
} from '../../runner/kit/index.ts';
import { encodeFrame } from './frame.ts';
import { readFrame } from './frame-then-body.ts';

const HEADER = '{"name":"hello.txt","size":15,"sha256":"..."}';
const BODY = Buffer.from('BODY 0123456789');
const WIRE = Buffer.concat([encodeFrame(HEADER), BODY]);

/** Waits for readFrame, with a deadline that explains the likely mistake. */
function frameFrom(
  promise: Promise<Buffer>,
  what = 'readFrame never resolved with the frame (does it keep the bytes of every chunk until the whole frame is in?)',
): Promise<Buffer> {
  return withDeadline(promise, { message: what });
}

/** Everything the stream still holds after readFrame (which leaves it paused), up to its end. */
function restOf(stream: Readable): Promise<Buffer> {
  const rest = readUntilEnd(stream, { message: 'the bytes after the frame never arrived: were they lost?' });
  stream.resume();
  return rest;
}

/** Waits for readFrame to fail, and returns its error. */
async function failureOf(promise: Promise<Buffer>, what: string): Promise<Error> {
  const outcome = await withDeadline(
    promise.then(
      (payload) => ({ payload }),
      (error: Error) => ({ error }),
    ),
    { message: `readFrame neither failed nor resolved when ${what}; it must reject.` },
  );
  if ('payload' in outcome)
    throw new Error(
      `readFrame resolved with ${JSON.stringify(outcome.payload.toString())} when ${what}; it must reject`,
    );
  return outcome.error;
}

describe('Task 3: read one frame, keep the bytes after it', () => {
  const seed = newSeed();
  for (const [how, chunks] of standardChunkings(WIRE, seed)) {
    it(`returns the header frame and leaves the body in the stream, delivered ${how}`, async () => {
      const peer = new ScriptedPeer();
      const payload = readFrame(peer, 4096);
      void peer.deliver(chunks, { end: true });
      expectBytes(await frameFrom(payload), HEADER, 'the header payload');
      expectBytes(
        await restOf(peer),
        BODY,
        'the body bytes left in the stream after the frame (give them back with stream.unshift(rest))',
      );
    });
  }

  const LATE = Buffer.from('LATE');
  for (const [how, chunks] of standardChunkings(WIRE, seed)) {
    it(`keeps the bytes that arrive after the frame while nobody reads yet, delivered ${how}`, async () => {
      const peer = new ScriptedPeer();
      const payload = readFrame(peer, 4096);
      // Every chunk, then one more and the end, all delivered before anyone
      // reads the rest: the next reader often starts a little later.
      await peer.deliver(chunks);
      expectBytes(await frameFrom(payload), HEADER, 'the header payload');
      await peer.deliver([LATE], { end: true });
      expectBytes(
        await restOf(peer),
        Buffer.concat([BODY, LATE]),
        `the ${BODY.length + LATE.length} bytes after the frame (the ${BODY.length}-byte body, then ${LATE.length} more in a later chunk), read only after they had all arrived (lost if readFrame leaves the stream flowing: call stream.pause() when you take the frame)`,
      );
    });
  }

  it('keeps the body bytes that arrive in the same chunk as the frame', async () => {
    const peer = new ScriptedPeer();
    const payload = readFrame(peer, 4096);
    // The whole header and the whole body in one 'data' event, as loopback often does.
    void peer.deliver([WIRE], { end: true });
    expectBytes(await frameFrom(payload), HEADER, 'the header payload');
    expectBytes(
      await restOf(peer),
      BODY,
      'the body that came in the same chunk as the header (give it back with stream.unshift(rest))',
    );
  });

  it('reads two frames in a row from one chunk (the stream is paused in between)', async () => {
    const peer = new ScriptedPeer();
    const first = readFrame(peer, 4096);
    void peer.deliver([Buffer.concat([encodeFrame('one'), encodeFrame('two'), Buffer.from('tail')])], { end: true });
    expectBytes(await frameFrom(first), 'one', 'the first frame');
    expectBytes(
      await frameFrom(
        readFrame(peer, 4096),
        'a second readFrame on the same stream never resolved: does it resume the paused stream?',
      ),
      'two',
      'the second frame',
    );
    expectBytes(
      await restOf(peer),
      'tail',
      'the bytes after both frames (lost if readFrame leaves the stream flowing: pause it when you take the frame)',
    );
  });

  it('returns an empty payload for a 0-length frame', async () => {
    const peer = new ScriptedPeer();
    const payload = readFrame(peer, 4096);
    void peer.deliver([Buffer.of(0, 0, 0, 0), Buffer.from('next')], { end: true });
    expectBytes(await frameFrom(payload), Buffer.alloc(0), 'the empty payload');
    expectBytes(await restOf(peer), 'next', 'the bytes after the empty frame');
  });

  it('refuses a length over the limit as soon as the 4 length bytes arrive', async () => {
    const peer = new ScriptedPeer();
    const payload = readFrame(peer, 4096);
    // 0xFFFFFFFF announces a 4 GiB payload. No payload byte is ever sent and
    // the stream stays open: only the length can tell readFrame to stop.
    void peer.deliver([Buffer.of(0xff, 0xff, 0xff, 0xff)]);
    const error = await failureOf(payload, 'the length prefix said 4294967295 bytes and the limit was 4096');
    expect(error.message, 'the error must say what was wrong').toMatch(/\d/);
  });

  it('refuses a length of limit + 1 but accepts exactly the limit', async () => {
    const atLimit = new ScriptedPeer();
    const ok = readFrame(atLimit, 10);
    void atLimit.deliver([encodeFrame('0123456789')]);
    expectBytes(await frameFrom(ok), '0123456789', 'a frame of exactly the limit');

    const over = new ScriptedPeer();
    const tooLong = readFrame(over, 10);
    void over.deliver([encodeFrame('0123456789X')]);
    await failureOf(tooLong, 'the frame was 11 bytes and the limit 10');
  });

  it('fails when the stream ends in the middle of a frame', async () => {
    const peer = new ScriptedPeer();
    const payload = readFrame(peer, 4096);
    void peer.deliver([encodeFrame(HEADER).subarray(0, 10)], { end: true });
    await failureOf(payload, 'the stream ended after 10 bytes of a longer frame');
  });

  it('fails when the stream ends before any byte', async () => {
    const peer = new ScriptedPeer();
    const payload = readFrame(peer, 4096);
    void peer.deliver([], { end: true });
    await failureOf(payload, 'the stream ended without sending anything');
  });

  it('fails with the error when the connection breaks (a reset)', async () => {
    const peer = new ScriptedPeer();
    const payload = readFrame(peer, 4096);
    await peer.deliver([Buffer.of(0, 0)]);
    peer.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    const error = await failureOf(payload, 'the connection was reset');
    expect(error.message).toMatch(/ECONNRESET/);
  });

  it('fails at once on a stream that is already closed', async () => {
    const peer = new ScriptedPeer();
    peer.destroy();
    await failureOf(readFrame(peer, 4096), 'the stream was closed before readFrame was called');
  });
});
