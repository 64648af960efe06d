// Lesson 05, task 1: HMAC-SHA-256, compared in constant time.
//
// Say a client sends you 32 bytes that claim "I know the key". You compute
// what those bytes should be and compare. Two things decide whether that
// is safe: what you compute (a MAC, not a plain hash) and how you compare
// (every byte, always, whatever the first wrong one is).
import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA-256 of `message` under `key` (RFC 2104): 32 bytes. */
export function hmacSha256(key: Uint8Array, message: Uint8Array | string): Buffer {
  // Name the hash: Python's hmac.new(key, msg) without one meant MD5 until 3.8.
  return createHmac('sha256', key).update(message).digest();
}

/**
 * Whether `received` is exactly `expected`, in time that does not depend
 * on where they differ. A `received` of the wrong length (31 bytes, 33,
 * 1 MiB) is simply false: it never throws.
 */
export function macEquals(expected: Uint8Array, received: Uint8Array): boolean {
  // timingSafeEqual throws on different lengths, so check first. The length
  // is not a secret: every MAC of this kind is 32 bytes.
  if (received.length !== expected.length) return false;
  return timingSafeEqual(expected, received);
}
