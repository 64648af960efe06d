// Test data: byte patterns, digests and hex, the same in every lesson's tests.
import { createHash } from 'node:crypto';

/**
 * `size` bytes that take every value 0x00..0xff (0x00 and 0x0a included)
 * and do not repeat within 4 GiB, so a lost, doubled or reordered chunk
 * changes them, even a 64 KiB one (the size of a socket read). A different
 * `salt` gives different bytes.
 */
export function pattern(size: number, salt = 0): Buffer {
  const bytes = Buffer.alloc(size);
  // Each term of i's higher bytes breaks the period of the terms before it:
  // i * 7 alone repeats every 256 bytes, with i >>> 8 every 64 KiB, and so on.
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >>> 8) + (i >>> 16) + (i >>> 24) + salt) & 0xff;
  return bytes;
}

/** The SHA-256 digest of `bytes`, as 64 lowercase hex digits. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Bytes written as hex, spaces and line breaks allowed: hex('00 01 ff') is <00 01 ff>. */
export function hex(text: string): Buffer {
  const digits = text.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`hex(): not pairs of hex digits: '${text}'`);
  return Buffer.from(digits, 'hex');
}
