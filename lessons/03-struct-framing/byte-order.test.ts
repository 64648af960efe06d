import { describe, expect, it } from 'vitest';
import { expectBytes, hex } from '../../runner/kit/index.ts';
import { decodeLength, encodeLength, looksLittleEndian, packNativeInt } from './byte-order.ts';

const MiB = 1024 * 1024;

describe('Task 1: lengths in network byte order', () => {
  it('encodes 2 (the length of "hi") as 00 00 00 02', () => {
    expectBytes(encodeLength(2), hex('00 00 00 02'), 'encodeLength(2)');
  });

  it('encodes 1000 as 00 00 03 e8: the most significant byte first', () => {
    expectBytes(encodeLength(1000), hex('00 00 03 e8'), 'encodeLength(1000)');
  });

  it('encodes 0 and 4294967295 (0xFFFFFFFF), the smallest and largest u32', () => {
    expectBytes(encodeLength(0), hex('00 00 00 00'), 'encodeLength(0)');
    expectBytes(encodeLength(0xffffffff), hex('ff ff ff ff'), 'encodeLength(4294967295)');
  });

  it.each([-1, 2 ** 32, 1.5, Number.NaN, Infinity])(
    'refuses %s, which a u32 length cannot hold, with a RangeError',
    (n) => {
      expect(() => encodeLength(n), `encodeLength(${n}) must throw a RangeError, not return bytes`).toThrow(RangeError);
    },
  );

  it('decodes 00 00 03 e8 as 1000', () => {
    expect(decodeLength(hex('00 00 03 e8'))).toBe(1000);
  });

  it('reads only the first 4 bytes: 00 00 00 02 68 69 is the length 2, then "hi"', () => {
    expect(decodeLength(hex('00 00 00 02 68 69'))).toBe(2);
  });

  it('reads at the start of a view, not of the memory under it', () => {
    const memory = hex('ff ff 00 00 00 07 ff');
    expect(
      decodeLength(memory.subarray(2)),
      'decodeLength of a subarray must start at its own first byte (header.byteOffset), not at the start of header.buffer',
    ).toBe(7);
  });

  it('decodes ff ff ff ff as 4294967295, not -1: lengths are unsigned', () => {
    expect(decodeLength(hex('ff ff ff ff'))).toBe(4294967295);
  });

  it('refuses a header of fewer than 4 bytes (what a short recv(4) returns) with a RangeError', () => {
    expect(
      () => decodeLength(hex('00 00 03')),
      'decodeLength of 3 bytes must throw: the 4th byte has not arrived yet',
    ).toThrow(RangeError);
  });

  it("packs like Python's struct.pack('i', n) on x86: 1000 is e8 03 00 00, least significant byte first", () => {
    expectBytes(packNativeInt(1000), hex('e8 03 00 00'), 'packNativeInt(1000)');
  });

  it("packs -1 as ff ff ff ff: 'i' is signed", () => {
    expectBytes(packNativeInt(-1), hex('ff ff ff ff'), 'packNativeInt(-1)');
  });

  it.each([2 ** 31, -(2 ** 31) - 1, 0.5])("refuses %s, like Python's struct.error for 'i'", (n) => {
    expect(
      () => packNativeInt(n),
      `packNativeInt(${n}) must throw a RangeError: a signed 32-bit int cannot hold it`,
    ).toThrow(RangeError);
  });

  it("shows the pitfall: struct.pack('i', 1000), read in network order, is 3,892,510,720 (a 3.6 GiB allocation)", () => {
    expect(decodeLength(packNativeInt(1000))).toBe(3_892_510_720);
  });

  it('spots a little-endian length: e8 03 00 00 is over 1 MiB one way, and 1000 the other', () => {
    expect(
      looksLittleEndian(hex('e8 03 00 00'), MiB),
      'e8 03 00 00 should look little-endian under a 1 MiB limit',
    ).toBe(true);
    expect(looksLittleEndian(packNativeInt(5), MiB), "struct.pack('i', 5) should look little-endian").toBe(true);
  });

  it('does not flag a length that fits, or ff ff ff ff, which is too big read either way', () => {
    expect(looksLittleEndian(hex('00 00 03 e8'), MiB), '00 00 03 e8 is 1000 in network order: nothing wrong').toBe(
      false,
    );
    expect(
      looksLittleEndian(hex('00 00 00 00'), MiB),
      '00 00 00 00 is an empty frame, within the limit: nothing wrong',
    ).toBe(false);
    expect(
      looksLittleEndian(hex('ff ff ff ff'), MiB),
      'ff ff ff ff is over the limit in both orders: just too big',
    ).toBe(false);
  });

  it('compares with the limit given, not a fixed one', () => {
    expect(
      looksLittleEndian(hex('00 00 03 e8'), 999),
      '1000 is over a 999-byte limit, and e8 03 00 00 is bigger still',
    ).toBe(false);
    expect(
      looksLittleEndian(hex('00 01 00 00'), 300),
      '65536 is over a 300-byte limit; read little-endian it is 256',
    ).toBe(true);
  });
});
