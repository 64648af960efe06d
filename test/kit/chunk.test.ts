// Chunkings decide which framing bugs a lesson test can catch, so each one
// must cut exactly where it says and lose no byte.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  bytewise,
  everySplit,
  fixedSize,
  newSeed,
  randomChunks,
  seededRandom,
  splitAt,
  standardChunkings,
  whole,
} from '../../runner/kit/index.ts';

const b = (text: string): Buffer => Buffer.from(text);
const text = (chunks: readonly Uint8Array[]): string[] => chunks.map((c) => Buffer.from(c).toString());
const joined = (chunks: readonly Uint8Array[]): Buffer => Buffer.concat(chunks);

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('seededRandom and newSeed', () => {
  it('gives the same numbers for the same seed, so a printed seed replays a failure', () => {
    const first = seededRandom(1234);
    const again = seededRandom(1234);
    const a = Array.from({ length: 20 }, first);
    expect(Array.from({ length: 20 }, again)).toEqual(a);
    expect(Array.from({ length: 20 }, seededRandom(1235))).not.toEqual(a);
  });

  it('is mulberry32: seeds printed by earlier runs still replay', () => {
    const random = seededRandom(42);
    expect([random(), random(), random()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it('returns numbers in [0, 1)', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 1000; i++) {
      const x = random();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });

  it('takes the seed from WORKBOOK_SEED when it is set', () => {
    vi.stubEnv('WORKBOOK_SEED', '12345');
    expect(newSeed()).toBe(12345);
  });

  it('otherwise picks an integer seed in [0, 2^31)', () => {
    vi.stubEnv('WORKBOOK_SEED', undefined);
    const seed = newSeed();
    expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31).toBe(true);
  });
});

describe('splitAt', () => {
  it('cuts at the given offsets', () => {
    expect(text(splitAt(b('hello world'), [2, 5]))).toEqual(['he', 'llo', ' world']);
  });

  it('sorts the offsets, drops duplicates and ignores offsets at or past the ends', () => {
    expect(text(splitAt(b('abcdef'), [4, 2, 2, 0, 6, 99, -1]))).toEqual(['ab', 'cd', 'ef']);
  });

  it('returns one chunk with no offsets, and none for empty input', () => {
    expect(text(splitAt(b('abc'), []))).toEqual(['abc']);
    expect(splitAt(b(''), [0, 1])).toEqual([]);
  });

  it('respects the offset of a Uint8Array that views part of a larger buffer', () => {
    const owner = b('..hello world..');
    const view = new Uint8Array(owner.buffer, owner.byteOffset + 2, 11);
    expect(text(splitAt(view, [5]))).toEqual(['hello', ' world']);
    expect(text(splitAt(owner.subarray(2, 13), [3, 8]))).toEqual(['hel', 'lo wo', 'rld']);
  });
});

describe('whole, bytewise and fixedSize', () => {
  it('whole: one chunk holding a copy of every byte, none for empty input', () => {
    const input = b('hello');
    const [chunk, ...rest] = whole(input);
    expect(rest).toEqual([]);
    expect(chunk!.toString()).toBe('hello');
    input[0] = 0x4a;
    expect(chunk!.toString()).toBe('hello');
    expect(whole(b(''))).toEqual([]);
  });

  it('bytewise: one chunk per byte', () => {
    expect(text(bytewise(b('abc')))).toEqual(['a', 'b', 'c']);
    expect(bytewise(b(''))).toEqual([]);
  });

  it('fixedSize: chunks of the given size, the last one shorter', () => {
    expect(text(fixedSize(b('abcdefgh'), 3))).toEqual(['abc', 'def', 'gh']);
    expect(text(fixedSize(b('abcdef'), 3))).toEqual(['abc', 'def']);
    expect(text(fixedSize(b('ab'), 10))).toEqual(['ab']);
    expect(fixedSize(b(''), 3)).toEqual([]);
  });

  it('fixedSize: refuses a size below 1 byte instead of looping forever', () => {
    for (const size of [0, -3, Number.NaN]) {
      expect(() => fixedSize(b('abc'), size)).toThrow(RangeError);
    }
    expect(() => fixedSize(b('abc'), 0)).toThrow('fixedSize needs a chunk size of at least 1 byte, got 0');
  });
});

describe('everySplit', () => {
  it('cuts in two at every inner offset, with the offset', () => {
    expect([...everySplit(b('abcd'))].map(([at, chunks]) => [at, text(chunks)])).toEqual([
      [1, ['a', 'bcd']],
      [2, ['ab', 'cd']],
      [3, ['abc', 'd']],
    ]);
  });

  it('yields nothing for input too short to cut', () => {
    expect([...everySplit(b('a'))]).toEqual([]);
    expect([...everySplit(b(''))]).toEqual([]);
  });
});

describe('randomChunks', () => {
  const alphabet = b('abcdefghijklmnopqrstuvwxyz');

  it('cuts the same way for the same seed', () => {
    expect(text(randomChunks(alphabet, 42, 4))).toEqual([
      'abc',
      'de',
      'fghi',
      'jkl',
      'm',
      'nop',
      'qr',
      'stu',
      'vwxy',
      'z',
    ]);
    expect(text(randomChunks(alphabet, 42, 4))).toEqual(text(randomChunks(alphabet, 42, 4)));
  });

  it('cuts differently for another seed', () => {
    expect(text(randomChunks(alphabet, 7, 4))).not.toEqual(text(randomChunks(alphabet, 42, 4)));
  });

  it('makes chunks of 1 to maxChunk bytes (16 by default)', () => {
    const input = Buffer.alloc(10_000, 0x61);
    for (const seed of [1, 2, 3]) {
      const lengths = randomChunks(input, seed).map((c) => c.length);
      expect(Math.min(...lengths)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...lengths)).toBe(16);
    }
    expect(text(randomChunks(b('abc'), 9, 1))).toEqual(['a', 'b', 'c']);
  });

  it('refuses a maxChunk below 1 byte instead of looping forever', () => {
    for (const maxChunk of [0, -5, Number.NaN]) {
      expect(() => randomChunks(alphabet, 1, maxChunk)).toThrow(RangeError);
    }
  });
});

describe('standardChunkings', () => {
  it('names each chunking, the random one with its seed and how to replay it', () => {
    expect(standardChunkings(b('hello'), 99).map(([name]) => name)).toEqual([
      'all at once',
      'one byte at a time',
      'in 3-byte chunks',
      'in random chunks (seed 99; replay with WORKBOOK_SEED=99)',
    ]);
  });

  it('cuts as each name says', () => {
    const [all, one, three, random] = standardChunkings(b('abcdefg'), 5).map(([, chunks]) => chunks);
    expect(text(all!)).toEqual(['abcdefg']);
    expect(text(one!)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(text(three!)).toEqual(['abc', 'def', 'g']);
    expect(text(random!)).toEqual(text(randomChunks(b('abcdefg'), 5)));
  });

  it('every chunking concatenates back to the input, with no empty chunk (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (input, seed) => {
        for (const [name, chunks] of standardChunkings(input, seed)) {
          expect(joined(chunks).equals(Buffer.from(input)), name).toBe(true);
          expect(
            chunks.every((c) => c.length > 0),
            name,
          ).toBe(true);
        }
      }),
    );
  });

  it('splitAt, fixedSize, randomChunks and everySplit lose no byte either (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.array(fc.integer({ min: -5, max: 105 }), { maxLength: 10 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer(),
        (input, offsets, size, seed) => {
          const expected = Buffer.from(input);
          expect(joined(splitAt(input, offsets)).equals(expected)).toBe(true);
          expect(joined(fixedSize(input, size)).equals(expected)).toBe(true);
          const random = randomChunks(input, seed, size);
          expect(joined(random).equals(expected)).toBe(true);
          expect(random.every((c) => c.length >= 1 && c.length <= size)).toBe(true);
          for (const [at, [head, tail]] of everySplit(input)) {
            expect(head!.length).toBe(at);
            expect(Buffer.concat([head!, tail!]).equals(expected)).toBe(true);
          }
        },
      ),
    );
  });
});
