// Lesson 05, task 1: HMAC-SHA-256, compared in constant time.
//
// Say a client sends you 32 bytes that claim "I know the key". You compute
// what those bytes should be and compare. Two things decide whether that
// is safe: what you compute (a MAC, not a plain hash) and how you compare
// (every byte, always, whatever the first wrong one is).
import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA-256 of `message` under `key` (RFC 2104): 32 bytes. */
export function hmacSha256(key: Uint8Array, message: Uint8Array | string): Buffer {
  // TODO: return createHmac('sha256', key).update(message).digest(). Always
  // name the hash: never leave the choice to a default.
  throw new Error('TODO: write hmacSha256 (task 1 in lessons/05-hmac-auth/README.md)');
}

/**
 * Whether `received` is exactly `expected`, in time that does not depend
 * on where they differ. A `received` of the wrong length (31 bytes, 33,
 * 1 MiB) is simply false: it never throws.
 */
export function macEquals(expected: Uint8Array, received: Uint8Array): boolean {
  // TODO: return false when the lengths differ (timingSafeEqual throws on
  // that), otherwise return timingSafeEqual(expected, received). Never ===
  // or equals(): they stop at the first wrong byte.
  throw new Error('TODO: write macEquals (task 1 in lessons/05-hmac-auth/README.md)');
}
