// pattern, sha256 and hex: the test data helpers every lesson's tests share.
import { describe, expect, it } from 'vitest';
import { hex, pattern, sha256 } from '../../runner/kit/index.ts';

describe('pattern', () => {
  it('has every byte value, 0x00 and 0x0a included, and no short period', () => {
    const bytes = pattern(4096);
    expect(new Set(bytes).size).toBe(256);
    expect(bytes.subarray(0, 256).equals(bytes.subarray(256, 512))).toBe(false);
  });

  it('does not repeat in blocks of 64 KiB or 16 MiB, so a reordered socket read changes it', () => {
    for (const block of [64 * 1024, 16 * 1024 * 1024]) {
      const bytes = pattern(2 * block);
      expect(bytes.subarray(0, block).equals(bytes.subarray(block)), `two ${block}-byte blocks`).toBe(false);
    }
  });

  it('gives the same bytes for the same size and salt, other bytes for another salt', () => {
    expect(pattern(1000, 3).equals(pattern(1000, 3))).toBe(true);
    expect(pattern(1000, 3).equals(pattern(1000, 4))).toBe(false);
    expect(pattern(0).length).toBe(0);
  });
});

describe('sha256', () => {
  it('gives the known digests as lowercase hex', () => {
    expect(sha256(Buffer.alloc(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('hex', () => {
  it('reads pairs of hex digits, with spaces and line breaks between them', () => {
    expect([...hex('00 01\n ff 0A')]).toEqual([0x00, 0x01, 0xff, 0x0a]);
    expect(hex('').length).toBe(0);
  });

  it('refuses an odd digit or a non-hex character, saying what it got', () => {
    expect(() => hex('abc')).toThrow("hex(): not pairs of hex digits: 'abc'");
    expect(() => hex('zz')).toThrow(/not pairs of hex digits/);
  });
});
