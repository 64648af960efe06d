// The hex diff is what a learner reads when their bytes are wrong, so the
// small cases are pinned to the character.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BytesMismatchError, expectBytes, firstDifference, hexDiff, hexDump } from '../../runner/kit/index.ts';
import { hexLine } from '../../runner/kit/bytes.ts';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

/** 100 bytes 'ABC...ZABC...', and a copy with byte 40 zeroed. */
const alphabet = Buffer.from(Array.from({ length: 100 }, (_, i) => 0x41 + (i % 26)));
const alphabetWithZero = Buffer.from(alphabet);
alphabetWithZero[40] = 0;

describe('firstDifference', () => {
  it('is -1 for equal buffers, including two empty ones', () => {
    expect(firstDifference(b('hello'), b('hello'))).toBe(-1);
    expect(firstDifference(b(''), b(''))).toBe(-1);
  });

  it('is the index of the first differing byte', () => {
    expect(firstDifference(b('hallo'), b('hello'))).toBe(1);
    expect(firstDifference(b('hellO'), b('hello'))).toBe(4);
  });

  it('is the shorter length when one buffer is a prefix of the other', () => {
    expect(firstDifference(b('hel'), b('hello'))).toBe(3);
    expect(firstDifference(b('hello!'), b('hello'))).toBe(5);
    expect(firstDifference(b(''), b('hi'))).toBe(0);
  });

  it('points at a byte where the buffers differ, after an equal prefix (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (x, y) => {
        const at = firstDifference(x, y);
        if (at === -1) return Buffer.from(x).equals(Buffer.from(y));
        expect(Buffer.from(x.subarray(0, at)).equals(Buffer.from(y.subarray(0, at)))).toBe(true);
        return at === Math.min(x.length, y.length) ? x.length !== y.length : x[at] !== y[at];
      }),
    );
  });
});

describe('hexLine and hexDump', () => {
  it('writes one row as offset, hex and printable ASCII', () => {
    expect(hexLine(b('hello'), 0)).toBe('00000000  68 65 6c 6c 6f                                   |hello|');
  });

  it('marks a byte with ">" in place of the space before it', () => {
    expect(hexLine(b('hello'), 0, 1)).toBe('00000000  68>65 6c 6c 6f                                   |hello|');
  });

  it('shows bytes outside printable ASCII as "."', () => {
    expect(hexDump(Buffer.from([0x00, 0x09, 0x0a, 0x7f, 0x80, 0xff, 0x20, 0x7e]))).toBe(
      '00000000  00 09 0a 7f 80 ff 20 7e                          |...... ~|',
    );
  });

  it('says "(no bytes)" for an empty buffer', () => {
    expect(hexDump(b(''))).toBe('(no bytes)');
  });

  it('stops after the rows asked for and counts the bytes left out', () => {
    expect(hexDump(alphabet.subarray(0, 40), 0, 2)).toBe(
      [
        '00000000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|',
        '00000010  51 52 53 54 55 56 57 58 59 5a 41 42 43 44 45 46  |QRSTUVWXYZABCDEF|',
        '... 8 more bytes',
      ].join('\n'),
    );
  });

  it('starts at the row holding `from`', () => {
    expect(hexDump(alphabet.subarray(0, 40), 35, 1)).toBe(
      '00000020  47 48 49 4a 4b 4c 4d 4e                          |GHIJKLMN|',
    );
  });
});

describe('hexDiff', () => {
  it('is empty when the bytes are equal', () => {
    expect(hexDiff(b('hello'), b('hello'))).toBe('');
    expect(hexDiff(b(''), b(''))).toBe('');
  });

  it('names the first wrong byte and shows both buffers around it', () => {
    expect(hexDiff(b('hallo'), b('hello'))).toBe(
      [
        'first difference at byte 1 (0x1): expected 0x65, got 0x61.',
        'expected (5 bytes):',
        '00000000  68>65 6c 6c 6f                                   |hello|',
        'received (5 bytes):',
        '00000000  68>61 6c 6c 6f                                   |hallo|',
      ].join('\n'),
    );
  });

  it('says how many bytes are missing when the received bytes stop early', () => {
    expect(hexDiff(b('hel'), b('hello'))).toBe(
      [
        'the received bytes stop after 3 bytes; 2 more were expected.',
        'expected (5 bytes):',
        '00000000  68 65 6c>6c 6f                                   |hello|',
        'received (3 bytes):',
        '00000000  68 65 6c>                                        |hel|',
      ].join('\n'),
    );
  });

  it('says how many extra bytes arrived after the expected ones', () => {
    expect(hexDiff(b('hello!!'), b('hello'))).toBe(
      [
        '2 extra bytes arrived after the 5 expected.',
        'expected (5 bytes):',
        '00000000  68 65 6c 6c 6f>                                  |hello|',
        'received (7 bytes):',
        '00000000  68 65 6c 6c 6f>21 21                             |hello!!|',
      ].join('\n'),
    );
  });

  it('shows "(no bytes)" when nothing was received', () => {
    expect(hexDiff(b(''), b('hi'))).toBe(
      [
        'the received bytes stop after 0 bytes; 2 more were expected.',
        'expected (2 bytes):',
        '00000000 >68 69                                            |hi|',
        'received (0 bytes):',
        '(no bytes)',
      ].join('\n'),
    );
  });

  it('in a long buffer, shows the row before the wrong byte and truncates after three rows', () => {
    expect(hexDiff(alphabetWithZero, alphabet)).toBe(
      [
        'first difference at byte 40 (0x28): expected 0x4f, got 0x00.',
        'expected (100 bytes):',
        '00000010  51 52 53 54 55 56 57 58 59 5a 41 42 43 44 45 46  |QRSTUVWXYZABCDEF|',
        '00000020  47 48 49 4a 4b 4c 4d 4e>4f 50 51 52 53 54 55 56  |GHIJKLMNOPQRSTUV|',
        '00000030  57 58 59 5a 41 42 43 44 45 46 47 48 49 4a 4b 4c  |WXYZABCDEFGHIJKL|',
        '... 36 more bytes',
        'received (100 bytes):',
        '00000010  51 52 53 54 55 56 57 58 59 5a 41 42 43 44 45 46  |QRSTUVWXYZABCDEF|',
        '00000020  47 48 49 4a 4b 4c 4d 4e>00 50 51 52 53 54 55 56  |GHIJKLMN.PQRSTUV|',
        '00000030  57 58 59 5a 41 42 43 44 45 46 47 48 49 4a 4b 4c  |WXYZABCDEFGHIJKL|',
        '... 36 more bytes',
      ].join('\n'),
    );
  });

  it('is empty exactly when the buffers are equal (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }), (x, y) => {
        expect(hexDiff(x, y) === '').toBe(Buffer.from(x).equals(Buffer.from(y)));
      }),
    );
  });
});

describe('expectBytes', () => {
  it('passes silently when the bytes are equal, given as strings, Buffers or Uint8Arrays', () => {
    expectBytes(b('hello'), 'hello');
    expectBytes('hello', b('hello'));
    expectBytes(new Uint8Array([104, 105]), 'hi');
    expectBytes('', new Uint8Array(0));
  });

  it('encodes strings as UTF-8', () => {
    expectBytes(Buffer.from([0xc3, 0xa9]), 'é');
  });

  it('throws a BytesMismatchError that names what was compared and shows the hex diff', () => {
    let thrown: unknown;
    try {
      expectBytes(b('hallo'), 'hello', 'the echo of "hello"');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BytesMismatchError);
    expect((thrown as Error).name).toBe('BytesMismatchError');
    const diff = hexDiff(b('hallo'), b('hello'));
    expect((thrown as Error).message).toBe(`the echo of "hello": not the bytes expected; ${diff}`);
  });

  it('calls them "the bytes" when not told what they are', () => {
    expect(() => expectBytes('hel', 'hello')).toThrow(
      /^the bytes: not the bytes expected; the received bytes stop after 3 bytes; 2 more were expected\./,
    );
  });

  it('fails on extra bytes and on empty input', () => {
    expect(() => expectBytes('hello!!', 'hello')).toThrow('2 extra bytes arrived after the 5 expected.');
    expect(() => expectBytes('', 'hi')).toThrow('the received bytes stop after 0 bytes; 2 more were expected.');
  });
});
