import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAll,
  everySplit,
  expectBytes,
  hex,
  newSeed,
  nextEvent,
  pattern,
  standardChunkings,
} from '../../runner/kit/index.ts';
import { Writable } from 'node:stream';
import {
  ByteQueue,
  FrameDecoder,
  FrameError,
  FrameReader,
  encodeFrame,
  encodeFrames,
  writeFrame,
  type FrameOptions,
} from './frame-codec.ts';

const MiB = 1024 * 1024;
const seed = newSeed();

/** A frame built by the test itself (u32be length | payload), so decoder tests never depend on your encoder. */
function frame(payload: Uint8Array | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

/** Bytes in memory of their own (not from Buffer's shared pool), so "is it a copy?" has a clear answer. */
function ownMemory(bytes: Uint8Array): Buffer {
  const own = Buffer.from(new ArrayBuffer(bytes.length));
  own.set(bytes);
  return own;
}

function sameMemory(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength;
}

interface Decoded {
  frames: Buffer[];
  error: Error | undefined;
}
type Decode = (chunks: readonly Uint8Array[], options?: FrameOptions) => Promise<Decoded>;

/** Writes `chunks` into a new FrameDecoder, ends it, and collects the frames and the error, if any. */
async function decode(chunks: readonly Uint8Array[], options?: FrameOptions): Promise<Decoded> {
  const { outputs, error } = await decodeAll<Buffer>(new FrameDecoder(options), chunks, 'FrameDecoder');
  return { frames: outputs, error };
}

/** Pushes `chunks` into a new FrameReader, ends it, and collects the frames and the error it threw, if any. */
async function read(chunks: readonly Uint8Array[], options?: FrameOptions): Promise<Decoded> {
  const frames: Buffer[] = [];
  try {
    const reader = new FrameReader((frame) => frames.push(frame), options);
    for (const chunk of chunks) reader.push(chunk);
    reader.end();
  } catch (error) {
    return { frames, error: error as Error };
  }
  return { frames, error: undefined };
}

/** The two faces of the decoder: every decoding test runs against both. */
const decoders: Array<[string, Decode]> = [
  ['FrameReader', read],
  ['FrameDecoder', decode],
];

/** Fails with the decoder's own error message, when it failed where it should not have. */
function expectNoError(error: Error | undefined, what: string, decoder = 'FrameDecoder'): void {
  if (error !== undefined)
    throw new Error(
      `${what}, but your ${decoder} failed: ${error.name}${'code' in error ? ` (code ${String(error.code)})` : ''}: ${error.message}`,
    );
}

function expectFrameError(error: Error | undefined, code: string, what: string): asserts error is FrameError {
  if (error instanceof FrameError && error.code === code) return;
  const got =
    error === undefined
      ? 'it finished without an error'
      : `it failed with ${error.name}${'code' in error ? ` (code ${String(error.code)})` : ''}: ${error.message}`;
  throw new Error(`${what}: expected a FrameError with code ${code}, but ${got}`);
}

function expectFrames(actual: readonly Buffer[], expected: ReadonlyArray<Uint8Array | string>, how: string): void {
  const count = (n: number): string => (n === 1 ? '1 frame' : `${n} frames`);
  expect(
    actual.length,
    `decoding ${how}: ${count(expected.length)} sent, your decoder gave ${count(actual.length)}`,
  ).toBe(expected.length);
  actual.forEach((f, i) => expectBytes(f, expected[i]!, `frame ${i + 1} of ${expected.length} (decoded ${how})`));
}

// Five frames, one of them empty, one longer than a 4-byte header.
const samplePayloads = ['hi', '', 'struct framing', Buffer.from([0, 0, 0, 4, 0xff, 0x0a]), 'end'];
const sample = Buffer.concat(samplePayloads.map(frame));

describe('Task 2: a frame codec', () => {
  describe('encodeFrame', () => {
    it('frames "hi" as 00 00 00 02 68 69', () => {
      expectBytes(encodeFrame(Buffer.from('hi')), hex('00 00 00 02 68 69'), 'encodeFrame("hi")');
    });

    it('frames an empty payload as 00 00 00 00 (a keepalive)', () => {
      expectBytes(encodeFrame(Buffer.alloc(0)), hex('00 00 00 00'), 'encodeFrame(empty)');
    });

    it('frames several parts as one payload: [01] and "hi" make 00 00 00 03 01 68 69', () => {
      expectBytes(
        encodeFrame([Buffer.of(1), Buffer.from('hi')]),
        hex('00 00 00 03 01 68 69'),
        'encodeFrame([01, "hi"])',
      );
    });

    it('frames payload bytes as they are, 0x00 and 0xff included', () => {
      const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      expectBytes(encodeFrame(payload), frame(payload), 'the frame of bytes 0x00..0xff');
    });

    it('refuses to send a payload over maxFrameSize (FRAME_TOO_LARGE), and sends one exactly at it', () => {
      expectBytes(
        encodeFrame(Buffer.from('abcd'), { maxFrameSize: 4 }),
        frame('abcd'),
        'a 4-byte payload under a 4-byte limit',
      );
      let error: Error | undefined;
      try {
        encodeFrame(Buffer.from('abcde'), { maxFrameSize: 4 });
      } catch (e) {
        error = e as Error;
      }
      expectFrameError(error, 'FRAME_TOO_LARGE', 'encodeFrame of 5 bytes with maxFrameSize 4');
    });

    it('limits payloads to 1 MiB by default', () => {
      expect(encodeFrame(Buffer.alloc(MiB)).length, 'a 1 MiB payload is allowed by default').toBe(MiB + 4);
      expect(
        () => encodeFrame(Buffer.alloc(MiB + 1)),
        'a payload of 1 MiB + 1 byte must be refused by default',
      ).toThrow(FrameError);
    });
  });

  describe('encodeFrames', () => {
    it('frames "hi", an empty payload and [01 02] into one buffer: 00 00 00 02 68 69 00 00 00 00 00 00 00 02 01 02', () => {
      expectBytes(
        encodeFrames([Buffer.from('hi'), Buffer.alloc(0), Uint8Array.of(1, 2)]),
        hex('00 00 00 02 68 69  00 00 00 00  00 00 00 02 01 02'),
        'encodeFrames(["hi", empty, [01 02]])',
      );
    });

    it('gives the same bytes as encodeFrame for each payload, in order', () => {
      const payloads = Array.from({ length: 300 }, (_, i) => pattern(i % 150, i));
      expectBytes(encodeFrames(payloads), Buffer.concat(payloads.map(frame)), 'encodeFrames of 300 payloads');
    });

    it('gives an empty buffer for no payloads', () => {
      expect(encodeFrames([]).length, 'encodeFrames([])').toBe(0);
    });

    it('refuses the whole batch when any payload is over maxFrameSize (FRAME_TOO_LARGE)', () => {
      let error: Error | undefined;
      try {
        encodeFrames([Buffer.from('abcd'), Buffer.from('abcde'), Buffer.from('ok')], { maxFrameSize: 4 });
      } catch (e) {
        error = e as Error;
      }
      expectFrameError(error, 'FRAME_TOO_LARGE', 'encodeFrames with a 5-byte payload second, maxFrameSize 4');
      expectBytes(
        encodeFrames([Buffer.from('abcd')], { maxFrameSize: 4 }),
        frame('abcd'),
        'a 4-byte payload under a 4-byte limit',
      );
    });
  });

  describe('ByteQueue', () => {
    it('counts the bytes pushed and gives them back in order, across chunks', () => {
      const queue = new ByteQueue();
      for (const part of ['ab', 'cde', '', 'f']) queue.push(Buffer.from(part));
      expect(queue.length, 'after pushing "ab", "cde", "" and "f"').toBe(6);
      expectBytes(queue.take(3), 'abc', 'take(3) across two chunks');
      expect(queue.length, 'after take(3)').toBe(3);
      expectBytes(queue.take(3), 'def', 'take(3) of the rest');
      expect(queue.length).toBe(0);
    });

    it('takes bytes that lie in one chunk without copying them (a view of the chunk)', () => {
      const chunk = ownMemory(Buffer.from('hello world'));
      const queue = new ByteQueue();
      queue.push(chunk);
      const hello = queue.take(5);
      expectBytes(hello, 'hello', 'take(5)');
      expect(
        sameMemory(hello, chunk.subarray(0, 5)),
        'take(5) copied the bytes; return chunk.subarray(...) when they lie in one chunk',
      ).toBe(true);
      const rest = queue.take(6);
      expect(sameMemory(rest, chunk.subarray(5)), 'the second take copied too').toBe(true);
    });

    it('never copies the backlog: 1,000 one-byte chunks come back as views of themselves', () => {
      const chunks = Array.from({ length: 1000 }, (_, i) => ownMemory(Buffer.of(i & 0xff)));
      const queue = new ByteQueue();
      for (const c of chunks) queue.push(c);
      for (const [i, c] of chunks.entries()) {
        const got = queue.take(1);
        if (!sameMemory(got, c)) {
          throw new Error(
            `take(1) number ${i + 1} returned a copy: keep the pushed chunks in a list instead of concatenating them on every push`,
          );
        }
      }
    });

    it('refuses to take more bytes than it holds, with a RangeError', () => {
      const queue = new ByteQueue();
      queue.push(Buffer.from('abc'));
      expect(() => queue.take(4), 'take(4) from a queue of 3 bytes').toThrow(RangeError);
      expect(queue.length, 'a refused take must not lose bytes').toBe(3);
    });
  });

  describe.each(decoders)('%s: any chunking', (name, decode) => {
    it('decodes 00 00 00 02 68 69 as "hi"', async () => {
      const { frames, error } = await decode([hex('00 00 00 02 68 69')]);
      expectNoError(error, 'decoding 00 00 00 02 68 69', name);
      expectFrames(frames, ['hi'], 'from one chunk');
    });

    it.each(standardChunkings(sample, seed))('decodes five frames (one empty) fed %s', async (how, chunks) => {
      const { frames, error } = await decode(chunks);
      expectNoError(error, `decoding ${how}`, name);
      expectFrames(frames, samplePayloads, how);
    });

    it('decodes them split in two at every offset', async () => {
      for (const [at, chunks] of everySplit(sample)) {
        const { frames, error } = await decode(chunks);
        expectNoError(error, `decoding with a split at byte ${at}`, name);
        expectFrames(frames, samplePayloads, `split at byte ${at}`);
      }
    });

    it('decodes a frame whose 4-byte header is split 1+3, 2+2, 3+1 and 1+1+1+1', async () => {
      const bytes = frame('hello');
      for (const cuts of [[1], [2], [3], [1, 2, 3]]) {
        const chunks = [0, ...cuts].map((from, i, all) => bytes.subarray(from, all[i + 1] ?? bytes.length));
        const { frames, error } = await decode(chunks);
        expectNoError(error, `decoding with the header cut at ${cuts.join(', ')}`, name);
        expectFrames(frames, ['hello'], `with the header cut at ${cuts.join(', ')}`);
      }
    });

    it('decodes 100 frames that arrive in one chunk, in order', async () => {
      const payloads = Array.from({ length: 100 }, (_, i) => `message ${i}`);
      const { frames, error } = await decode([Buffer.concat(payloads.map(frame))]);
      expectNoError(error, 'decoding 100 frames in one chunk', name);
      expectFrames(frames, payloads, '100 frames in one chunk');
    });

    it('decodes 0-length frames (keepalives) as empty buffers, wherever they fall', async () => {
      const { frames, error } = await decode([hex('00 00 00 00 00 00 00 00'), frame('x'), hex('00 00 00 00')]);
      expectNoError(error, 'decoding frames with keepalives', name);
      expectFrames(frames, ['', '', 'x', ''], 'with keepalives');
    });

    it('hands out large frames that stay as they were while later frames arrive (no shared scratch buffer)', async () => {
      // 40 frames of 4 to 70 KiB, each filled with its own byte, so most span
      // two chunks and must be copied; every one is checked after the last.
      const payloads = Array.from({ length: 40 }, (_, i) => Buffer.alloc(4096 + ((i * 9973) % (66 * 1024)), i + 1));
      const stream = Buffer.concat(payloads.map(frame));
      for (const size of [64 * 1024, 1000]) {
        const chunks: Buffer[] = [];
        for (let at = 0; at < stream.length; at += size) chunks.push(stream.subarray(at, at + size));
        const { frames, error } = await decode(chunks);
        expectNoError(error, `decoding 40 frames of 4 to 70 KiB in chunks of ${size} bytes`, name);
        expectFrames(frames, payloads, `40 frames of 4 to 70 KiB in chunks of ${size} bytes`);
      }
    });

    it('emits a frame that arrives in one chunk without copying it', async () => {
      const chunk = ownMemory(frame('no copy needed'));
      const { frames, error } = await decode([chunk]);
      expectNoError(error, 'decoding one frame in one chunk', name);
      expect(frames.length, 'one frame was sent').toBe(1);
      expect(
        sameMemory(frames[0]!, chunk.subarray(4)),
        'the frame is a copy: take it from your ByteQueue, which returns a view',
      ).toBe(true);
    });

    it(`decodes any payloads under any chunking (fast-check; seed ${seed}, replay with WORKBOOK_SEED=${seed})`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
          fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
          async (payloads, sizes) => {
            // Cut the stream into chunks of the generated sizes, cycling through them.
            const stream = Buffer.concat(payloads.map(frame));
            const chunks: Buffer[] = [];
            for (let at = 0, i = 0; at < stream.length; i++) {
              const size = sizes[i % sizes.length]!;
              chunks.push(stream.subarray(at, at + size));
              at += size;
            }
            const { frames, error } = await decode(chunks);
            if (error) throw error;
            expectFrames(frames, payloads, `in chunks of ${sizes.join(', ')} bytes`);
          },
        ),
        { seed, numRuns: 200, includeErrorInReport: true },
      );
    });
  });

  describe.each(decoders)('%s: limits', (name, decode) => {
    it('rejects ff ff ff ff (4 GiB) before allocating: heap and buffers grow by less than 1 MiB', async () => {
      // First a header just over the limit: a decoder that accepts it would
      // also try to allocate 4 GiB below, so stop here if it does.
      expectFrameError(
        (await decode([hex('00 10 00 01')])).error,
        'FRAME_TOO_LARGE',
        'a header announcing 1 MiB + 1 byte, then the end (check the length as soon as the 4 header bytes are in, not once the payload has come)',
      );

      const before = process.memoryUsage();
      const { frames, error } = await decode([hex('ff ff ff ff'), Buffer.alloc(16)]);
      const after = process.memoryUsage();
      expectFrameError(error, 'FRAME_TOO_LARGE', 'a header of ff ff ff ff');
      expect(frames.length, 'no frame can come from that header').toBe(0);
      expect(
        after.arrayBuffers - before.arrayBuffers,
        'Buffer memory grew by 1 MiB or more: check the length before allocating',
      ).toBeLessThan(MiB);
      expect(
        after.heapUsed - before.heapUsed,
        'the heap grew by 1 MiB or more: check the length before allocating',
      ).toBeLessThan(MiB);
    });

    it('accepts a frame of exactly maxFrameSize and rejects one byte more', async () => {
      const ok = await decode([frame('0123456789')], { maxFrameSize: 10 });
      expectNoError(ok.error, 'a 10-byte frame with maxFrameSize 10 is allowed', name);
      expectFrames(ok.frames, ['0123456789'], 'with maxFrameSize 10');
      const tooBig = await decode([frame('0123456789a')], { maxFrameSize: 10 });
      expectFrameError(tooBig.error, 'FRAME_TOO_LARGE', 'an 11-byte frame with maxFrameSize 10');
    });

    it('limits frames to 1 MiB by default', async () => {
      const ok = await decode([frame(Buffer.alloc(MiB, 7))]);
      expectNoError(ok.error, 'a 1 MiB frame is allowed by default', name);
      expect(ok.frames.map((f) => f.length)).toEqual([MiB]);
      expectFrameError(
        (await decode([hex('00 10 00 01')])).error,
        'FRAME_TOO_LARGE',
        'a header announcing 1 MiB + 1 byte, then the end (check the length as soon as the 4 header bytes are in, not once the payload has come)',
      );
    });

    it("names the likely cause of e8 03 00 00: a little-endian length, like Python's struct.pack('i', 1000)", async () => {
      const { error } = await decode([hex('e8 03 00 00'), Buffer.alloc(1000)]);
      expectFrameError(error, 'FRAME_TOO_LARGE', "struct.pack('i', 1000) followed by 1000 bytes");
      expect(error.message, 'the error should say the length looks little-endian').toMatch(/little-endian/i);
      expect(error.message, 'the error should say what the length is read little-endian: 1000').toMatch(/\b1000\b/);
    });

    it('keeps the frames that came before a bad header', async () => {
      const { frames, error } = await decode([Buffer.concat([frame('first'), frame('second'), hex('ff ff ff ff')])]);
      expectFrameError(error, 'FRAME_TOO_LARGE', 'ff ff ff ff after two good frames');
      expectFrames(frames, ['first', 'second'], 'before the bad header');
    });
  });

  describe.each(decoders)('%s: the end of the stream', (name, decode) => {
    it('ends cleanly after whole frames, and after no bytes at all', async () => {
      const some = await decode([frame('a'), frame('b')]);
      expectNoError(some.error, 'the stream ended between frames, which is fine', name);
      expectFrames(some.frames, ['a', 'b'], 'two frames, then the end');
      const none = await decode([]);
      expectNoError(none.error, 'an empty stream holds no frames and is not an error', name);
      expect(none.frames).toEqual([]);
    });

    it('fails with TRUNCATED when the stream ends inside a header, naming the 2 missing bytes', async () => {
      const { error } = await decode([hex('00 00')]);
      expectFrameError(error, 'TRUNCATED', 'a stream of 00 00, then the end');
      expect(error.message, 'the error should say how many bytes are missing').toMatch(/\b2 bytes missing/);
    });

    it('fails with TRUNCATED when the stream ends inside a payload, naming the 3 missing bytes', async () => {
      const { frames, error } = await decode([frame('ok'), hex('00 00 00 05 68 69')]);
      expectFrameError(error, 'TRUNCATED', 'a 5-byte frame cut after "hi"');
      expectFrames(frames, ['ok'], 'the whole frame before the cut');
      expect(error.message, 'the error should say how many bytes are missing').toMatch(/\b3 bytes missing/);
    });

    it('says "1 byte missing" when one byte is missing', async () => {
      const { error } = await decode([hex('00 00 00 03 61 62')]);
      expectFrameError(error, 'TRUNCATED', 'a 3-byte frame cut after "ab"');
      expect(error.message, 'one missing byte is "1 byte missing" (singular)').toMatch(/\b1 byte missing/);
    });
  });

  describe('FrameReader: calls, not events', () => {
    it('calls onFrame for each frame before push() returns', () => {
      const frames: Buffer[] = [];
      const reader = new FrameReader((f) => frames.push(f));
      reader.push(Buffer.concat([frame('a'), frame('bc'), hex('00 00')]));
      expectFrames(frames, ['a', 'bc'], 'at once, inside push()');
      reader.push(hex('00 01 64'));
      expectFrames(frames, ['a', 'bc', 'd'], 'once the third frame is complete');
    });

    it('throws FRAME_TOO_LARGE from the push() that completes ff ff ff ff, without waiting for the payload', () => {
      const reader = new FrameReader(() => {});
      let error: Error | undefined;
      try {
        reader.push(hex('ff ff'));
        reader.push(hex('ff ff'));
      } catch (e) {
        error = e as Error;
      }
      expectFrameError(error, 'FRAME_TOO_LARGE', 'push(ff ff), then push(ff ff)');
    });

    it('after a FrameError, throws the same error from every later push() and end()', () => {
      const frames: Buffer[] = [];
      const reader = new FrameReader((f) => frames.push(f), { maxFrameSize: 4 });
      const first = (() => {
        try {
          reader.push(hex('00 00')); // a header cut in two, so the reader has taken it when it fails
          reader.push(hex('00 05'));
        } catch (e) {
          return e as Error;
        }
      })();
      expectFrameError(first, 'FRAME_TOO_LARGE', 'a header of 00 00 00 05 with maxFrameSize 4, in two pushes');
      // Bytes that would decode as a frame if the reader went on after the error.
      expect(() => reader.push(frame('ok')), 'a push() after the error').toThrow(first);
      expect(() => reader.end(), 'end() after the error').toThrow(first);
      expect(frames.length, 'no frame may come after the error').toBe(0);
    });

    it('loses nothing when onFrame throws: the frames after it come out on the next push()', () => {
      const frames: Buffer[] = [];
      const reader = new FrameReader((f) => {
        frames.push(f);
        if (f.toString() === 'boom') throw new Error('the app failed');
      });
      expect(
        () => reader.push(Buffer.concat([frame('a'), frame('boom'), frame('c'), hex('00 00 00')])),
        'push()',
      ).toThrow('the app failed');
      reader.push(hex('01 64'));
      reader.end();
      expectFrames(frames, ['a', 'boom', 'c', 'd'], 'around an onFrame that threw');
    });
  });

  describe('FrameDecoder: a stream', () => {
    it('rejects a header over the limit as soon as its 4 bytes are in, without waiting for the payload', async () => {
      const decoder = new FrameDecoder();
      const failed = nextEvent<[Error]>(decoder, 'error', {
        message:
          'your decoder got the header ff ff ff ff and kept waiting for the payload: check the length as soon as the 4 header bytes are in.',
      });
      decoder.resume();
      decoder.write(hex('ff ff ff ff'));
      const [error] = await failed;
      expectFrameError(error, 'FRAME_TOO_LARGE', 'ff ff ff ff, with no payload yet');
    });
  });
});

/** A stream that records how it was written to: each _write and each _writev batch. */
function recordingStream({ highWaterMark = 1024 * 1024, stall = false } = {}) {
  const calls: Buffer[][] = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      calls.push([chunk]);
      if (!stall) callback();
    },
    writev(chunks, callback) {
      calls.push(chunks.map((c) => c.chunk as Buffer));
      if (!stall) callback();
    },
  });
  return { stream, calls, bytes: () => Buffer.concat(calls.flat()) };
}

describe('Task 2: a frame codec (writeFrame)', () => {
  it('writes the 4-byte length, then the payload: "hi" gives 00 00 00 02 68 69', () => {
    const { stream, bytes } = recordingStream();
    writeFrame(stream, Buffer.from('hi'));
    expectBytes(bytes(), Buffer.from([0, 0, 0, 2, 0x68, 0x69]), 'what writeFrame wrote');
  });

  it('writes the payload itself, not a copy of it', () => {
    const { stream, calls } = recordingStream();
    const payload = Buffer.alloc(64 * 1024, 0xa5);
    writeFrame(stream, payload);
    const written = calls.flat().find((chunk) => chunk.length === payload.length);
    expect(
      written,
      'writeFrame must write the 64 KiB payload as one buffer of its own, after a 4-byte header',
    ).toBeDefined();
    const same = written!.buffer === payload.buffer && written!.byteOffset === payload.byteOffset;
    expect(
      same,
      'writeFrame copied the payload: write the payload buffer you were given (that copy is what writeFrame saves)',
    ).toBe(true);
  });

  it('sends the header and the payload together, in one corked write', () => {
    const { stream, calls } = recordingStream();
    writeFrame(stream, Buffer.from('hello'));
    expect(
      calls.length === 1 && calls[0]!.length === 2,
      `the header and the payload must leave together: cork() the stream before the two writes and uncork() after (the stream saw ${calls.length} separate writes)`,
    ).toBe(true);
  });

  it('writes a 0-length frame as 00 00 00 00', () => {
    const { stream, bytes } = recordingStream();
    writeFrame(stream, Buffer.alloc(0));
    expectBytes(bytes(), Buffer.alloc(4), 'a 0-length frame');
  });

  it("returns false when the stream's buffer is full, so the caller waits for 'drain'", () => {
    const { stream } = recordingStream({ highWaterMark: 16, stall: true });
    expect(writeFrame(stream, Buffer.alloc(4)), 'with 8 of 16 bytes buffered, writeFrame must return true').toBe(true);
    expect(
      writeFrame(stream, Buffer.alloc(32)),
      'with 44 bytes buffered over a 16-byte highWaterMark, writeFrame must return false (what write() returned)',
    ).toBe(false);
  });

  it('returns true for a 64 KiB frame that the stream takes at once (what is buffered after uncork, not the corked write())', () => {
    const { stream } = recordingStream({ highWaterMark: 16 * 1024 });
    expect(
      writeFrame(stream, Buffer.alloc(64 * 1024)),
      "the stream took the whole frame at uncork(), so its buffer is empty: writeFrame must return true. (While corked, write() of 64 KiB says false: return stream.writableLength < stream.writableHighWaterMark after uncork(), or every caller waits for 'drain' after every large frame.)",
    ).toBe(true);
  });

  it('returns false on a destroyed stream, as write() does, so that a loop of writes stops', () => {
    const { stream } = recordingStream();
    stream.on('error', () => {}); // writing to a destroyed stream also emits an error: not what this test is about
    stream.destroy();
    expect(writeFrame(stream, Buffer.from('hi')), 'writeFrame on a destroyed stream').toBe(false);
  });

  it('refuses a payload over the limit before writing anything', () => {
    const { stream, calls } = recordingStream();
    let thrown: unknown;
    try {
      writeFrame(stream, Buffer.alloc(5), { maxFrameSize: 4 });
    } catch (error) {
      thrown = error;
    }
    expect(
      thrown instanceof FrameError && thrown.code === 'FRAME_TOO_LARGE',
      `a 5-byte payload with maxFrameSize 4 must throw FrameError FRAME_TOO_LARGE (it threw ${String(thrown)})`,
    ).toBe(true);
    expect(calls.length, 'nothing may be written when the payload is refused').toBe(0);
  });

  it('writes frames that the decoder reads back, whatever their sizes', async () => {
    const { stream, bytes } = recordingStream();
    const payloads = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(70_000, 7), Buffer.from('last')];
    for (const p of payloads) writeFrame(stream, p);
    const decoder = new FrameDecoder();
    const frames: Buffer[] = [];
    decoder.on('data', (f: Buffer) => frames.push(f));
    const ended = nextEvent(decoder, 'end', { message: 'the decoder never ended' });
    decoder.end(bytes());
    await ended;
    expect(
      frames.map((f) => f.length),
      'the decoded frame lengths',
    ).toEqual([1, 0, 70_000, 4]);
  });
});
