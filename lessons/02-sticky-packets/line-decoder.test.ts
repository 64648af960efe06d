import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytewise, everySplit, expectBytes, newSeed, standardChunkings, whole } from '../../runner/kit/index.ts';
import { IncompleteLineError, LineDecoder, LineTooLongError, MAX_LINE_LENGTH } from './line-decoder.ts';

const seed = newSeed();

/** Feeds `chunks` to a fresh decoder and returns every line it gives, as Buffers. */
function decode(chunks: readonly Uint8Array[], maxLineLength?: number): Buffer[] {
  const decoder = new LineDecoder({ maxLineLength });
  const lines: Buffer[] = [];
  for (const chunk of chunks) decoder.push(chunk, (line) => lines.push(line));
  decoder.end();
  return lines;
}

/** The same, as strings, for text lines. */
function decodeText(chunks: readonly Uint8Array[], maxLineLength?: number): string[] {
  return decode(chunks, maxLineLength).map((line) => line.toString('utf8'));
}

/**
 * Feeds `chunks` until the decoder throws; returns the lines given so far,
 * the LineTooLongError or IncompleteLineError (if any), and how many pushes
 * were made. Any other error is a bug or the starter's TODO: it is rethrown.
 */
function decodeUntilError(
  chunks: readonly Uint8Array[],
  maxLineLength: number,
): { lines: string[]; error: unknown; pushes: number } {
  const decoder = new LineDecoder({ maxLineLength });
  const lines: string[] = [];
  let pushes = 0;
  try {
    for (const chunk of chunks) {
      pushes++;
      decoder.push(chunk, (line) => lines.push(line.toString('utf8')));
    }
    decoder.end();
  } catch (error) {
    if (!(error instanceof LineTooLongError || error instanceof IncompleteLineError)) throw error;
    return { lines, error, pushes };
  }
  return { lines, error: undefined, pushes };
}

/** Calls `fn` and returns what it threw, or undefined. The starter's TODO error is rethrown. */
function thrownBy(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('TODO:')) throw error;
    return error;
  }
  return undefined;
}

/** Fails unless `error` is a LineTooLongError: `must` says what had to throw one, and the failure says what happened instead. */
function expectLineTooLong(error: unknown, must: string): void {
  if (error instanceof LineTooLongError) return;
  const instead =
    error === undefined
      ? 'nothing was thrown'
      : error instanceof IncompleteLineError
        ? 'push() accepted every byte, and only end() threw (an IncompleteLineError)'
        : `it threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  throw new Error(`${must} must throw a LineTooLongError, but ${instead}`);
}

const twoReplies = Buffer.from('out hello\nexit 0\nout world\nexit 0\n');
const twoRepliesLines = ['out hello', 'exit 0', 'out world', 'exit 0'];

describe('Task 1: a line decoder', () => {
  it.each(standardChunkings(twoReplies, seed))('decodes two replies delivered %s', (_name, chunks) => {
    expect(decodeText(chunks), 'the lines your decoder gave').toEqual(twoRepliesLines);
  });

  it('decodes the same lines wherever the stream is split in two', () => {
    for (const [at, chunks] of everySplit(twoReplies)) {
      expect(decodeText(chunks), `the lines, with the stream split after byte ${at}`).toEqual(twoRepliesLines);
    }
  });

  it('keeps an unfinished line until its 0x0A arrives', () => {
    const decoder = new LineDecoder();
    const lines: string[] = [];
    decoder.push(Buffer.from('hel'), (line) => lines.push(line.toString()));
    expect(lines, 'no 0x0A has arrived yet, so no line is complete').toEqual([]);
    expect(decoder.buffered, `the decoder should hold the 3 bytes "hel", not ${decoder.buffered}`).toBe(3);
    decoder.push(Buffer.from('lo\nwor'), (line) => lines.push(line.toString()));
    expect(lines, 'the lines after "hel", then "lo\\nwor"').toEqual(['hello']);
    expect(decoder.buffered, `the decoder should hold the 3 bytes "wor", not ${decoder.buffered}`).toBe(3);
    decoder.push(Buffer.from('ld\n'), (line) => lines.push(line.toString()));
    expect(lines, 'the lines after "hel", "lo\\nwor", then "ld\\n"').toEqual(['hello', 'world']);
    expect(decoder.buffered, `after the last 0x0A the decoder should hold no bytes, not ${decoder.buffered}`).toBe(0);
  });

  it('gives all 100 lines that arrive in one chunk, in order', () => {
    const expected = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    expect(
      decodeText(whole(Buffer.from(expected.map((l) => `${l}\n`).join('')))),
      'the lines "line 0" to "line 99", from one chunk',
    ).toEqual(expected);
  });

  it('gives empty lines too: "\\n\\n" is two empty lines', () => {
    expect(
      decodeText([Buffer.from('\n\n')]),
      'the lines of "\\n\\n": each 0x0A ends a line, even an empty one',
    ).toEqual(['', '']);
  });

  it('splits on 0x0A only: a 0x0D before it stays part of the line', () => {
    expect(
      decodeText([Buffer.from('a\r\nb\rc\n')]),
      'the lines of "a\\r\\nb\\rc\\n": only 0x0A ends a line, and no byte is removed',
    ).toEqual(['a\r', 'b\rc']);
  });

  it('keeps a UTF-8 character whole when a chunk boundary cuts through it', () => {
    // "你好" is 6 bytes (e4 bd a0 e5 a5 bd). Decode text only once a line is complete.
    const stream = Buffer.from('out 你好\nexit 0\n');
    for (const [at, chunks] of everySplit(stream)) {
      expect(decodeText(chunks), `split after byte ${at}`).toEqual(['out 你好', 'exit 0']);
    }
  });

  it('passes every byte except 0x0A through unchanged, 0x00 and 0xFF included', () => {
    const line = Buffer.from(Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 0x0a));
    const stream = Buffer.concat([line, Buffer.of(0x0a)]);
    for (const [name, chunks] of standardChunkings(stream, seed)) {
      const lines = decode(chunks);
      expect(lines.length, `255 bytes and then one 0x0A, delivered ${name}, are one line, not ${lines.length}`).toBe(1);
      expectBytes(lines[0]!, line, `the line delivered ${name}`);
    }
  });

  it('gives each line as a Buffer of its own, not a view of the chunk', () => {
    const chunk = Buffer.from('keep me\n');
    const decoder = new LineDecoder();
    const lines: Buffer[] = [];
    decoder.push(chunk, (line) => lines.push(line));
    chunk.fill(0x21); // the caller reuses its buffer
    expectBytes(lines[0]!, 'keep me', 'the line after the caller reused its chunk');
  });

  it(`decodes any lines under any chunking (fast-check, seed ${seed}; replay with WORKBOOK_SEED=${seed})`, () => {
    const lineArb = fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes.filter((b) => b !== 0x0a)));
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (lines, cuts) => {
        const stream = Buffer.concat(lines.flatMap((l) => [l, Buffer.of(0x0a)]));
        const offsets = [...new Set(cuts.map((c) => (stream.length > 0 ? c % stream.length : 0)))].sort(
          (a, b) => a - b,
        );
        const chunks: Buffer[] = [];
        let from = 0;
        for (const at of [...offsets, stream.length]) {
          chunks.push(stream.subarray(from, at)); // empty chunks included: they must be harmless
          from = at;
        }
        const got = decode(chunks);
        expect(
          got.map((b) => b.toString('hex')),
          'the lines, in hex',
        ).toEqual(lines.map((b) => b.toString('hex')));
      }),
      { seed, numRuns: 300 },
    );
  });
});

describe('Task 1: a line decoder enforces a maximum line length', () => {
  it(`accepts a line of exactly ${MAX_LINE_LENGTH} bytes by default, and no longer`, () => {
    const longest = Buffer.from('x'.repeat(MAX_LINE_LENGTH) + '\n');
    expect(
      decode([longest]).map((l) => l.length),
      `a line of ${MAX_LINE_LENGTH} bytes is allowed`,
    ).toEqual([MAX_LINE_LENGTH]);
    const tooLong = Buffer.from('x'.repeat(MAX_LINE_LENGTH + 1) + '\n');
    expectLineTooLong(
      thrownBy(() => decode([tooLong])),
      `a line of ${MAX_LINE_LENGTH + 1} bytes, with the default maxLineLength (${MAX_LINE_LENGTH}),`,
    );
  });

  it('accepts a line exactly at the limit wherever it is split', () => {
    const stream = Buffer.from('12345678\nok\n');
    for (const [at, chunks] of everySplit(stream)) {
      expect(decodeText(chunks, 8), `limit 8, split after byte ${at}`).toEqual(['12345678', 'ok']);
    }
  });

  it('rejects a line one byte over the limit wherever it is split', () => {
    const stream = Buffer.from('123456789\n');
    for (const [at, chunks] of everySplit(stream)) {
      expectLineTooLong(
        decodeUntilError(chunks, 8).error,
        `a 9-byte line with maxLineLength 8, split after byte ${at},`,
      );
    }
  });

  it('says what the limit is in the error', () => {
    const { error } = decodeUntilError([Buffer.from('x'.repeat(20))], 8);
    expectLineTooLong(error, 'push() of 20 bytes with no 0x0A, with maxLineLength 8,');
    expect((error as Error).message, 'the message should name the limit, 8 bytes').toMatch(/\b8 bytes\b/);
  });

  it('checks the limit before buffering: 1 MiB without a 0x0A throws at once, holding at most the limit', () => {
    const decoder = new LineDecoder({ maxLineLength: 1024 });
    expectLineTooLong(
      thrownBy(() => decoder.push(Buffer.alloc(1024 * 1024, 0x78), () => {})),
      'push() of a 1 MiB chunk with no 0x0A, with maxLineLength 1024,',
    );
    expect(
      decoder.buffered,
      `after refusing the line, the decoder holds ${decoder.buffered} bytes: it must not keep more than 1024`,
    ).toBeLessThanOrEqual(1024);
  });

  it('stops a line fed one byte at a time as soon as it passes the limit', () => {
    const { error, pushes } = decodeUntilError(bytewise(Buffer.alloc(100, 0x78)), 8);
    expectLineTooLong(error, '100 bytes with no 0x0A, pushed one at a time with maxLineLength 8,');
    expect(
      pushes,
      `the 9th byte is the first one over a limit of 8: push number 9 must throw, but push number ${pushes} did`,
    ).toBe(9);
  });

  it('delivers the lines before a too-long line first: nothing is lost', () => {
    const { lines, error } = decodeUntilError([Buffer.from('ok\nfine\n' + 'x'.repeat(20))], 8);
    expect(lines, 'the two good lines in the same chunk must still be delivered').toEqual(['ok', 'fine']);
    expectLineTooLong(error, '"ok\\nfine\\n" and then 20 bytes with no 0x0A, with maxLineLength 8,');
  });

  it('keeps refusing after a too-long line: the stream is out of step', () => {
    const decoder = new LineDecoder({ maxLineLength: 4 });
    expectLineTooLong(
      thrownBy(() => decoder.push(Buffer.from('toolong\n'), () => {})),
      'a 7-byte line with maxLineLength 4, even when its 0x0A is in the same chunk,',
    );
    const lines: string[] = [];
    expectLineTooLong(
      thrownBy(() => decoder.push(Buffer.from('ok\n'), (l) => lines.push(l.toString()))),
      'after a LineTooLongError the decoder has lost its place in the stream, so every later push()',
    );
    expect(lines, 'no line may come out of a decoder that lost its place').toEqual([]);
  });
});

describe('Task 1: a line decoder at the end of the stream', () => {
  it('end() accepts a stream that stops right after a 0x0A', () => {
    const decoder = new LineDecoder();
    decoder.push(Buffer.from('bye\n'), () => {});
    const error = thrownBy(() => decoder.end());
    expect(
      error,
      `end() after "bye\\n" must not throw: the stream stopped right after a 0x0A, so no line is cut (it threw ${String(error)})`,
    ).toBeUndefined();
  });

  it('end() reports bytes left after the last 0x0A with an IncompleteLineError', () => {
    const decoder = new LineDecoder();
    const lines: string[] = [];
    decoder.push(Buffer.from('done\nhal'), (l) => lines.push(l.toString()));
    expect(lines, 'the lines of "done\\nhal"').toEqual(['done']);
    const error = thrownBy(() => decoder.end());
    expect(
      error,
      `the stream ended after "hal", in the middle of a line: end() must throw an IncompleteLineError, but ${error === undefined ? 'it threw nothing' : `it threw ${String(error)}`}`,
    ).toBeInstanceOf(IncompleteLineError);
    expect(
      (error as Error).message,
      'the message should say how many bytes were left after the last 0x0A: 3 bytes',
    ).toMatch(/3 bytes/);
    expect(() => decoder.end(), 'a second end() must say the same: 3 bytes were left').toThrow(/3 bytes/);
  });
});
