// Lesson 04, task 2: parse and check the header.
//
// Say a sender's header says {"name":"a.txt","size":-1}, or "size":"5",
// or is not JSON at all. Every field decides something later (how many
// bytes to read, what to compare the hash with), so the receiver checks
// each one before it uses any, and builds its own object from them.
import { type Header, MAX_HEADER_BYTES, TransferError, duplicateMember } from './protocol.ts';

/**
 * Parses a header frame's payload: UTF-8 JSON, an object with
 * - "name": a string (its safety is task 1's job),
 * - "size": a whole number from 0 to Number.MAX_SAFE_INTEGER,
 * - "sha256": 64 lowercase hex digits.
 * Other members are ignored. Returns a new object with just those three.
 * Throws TransferError code 'bad-header', saying what is wrong, for a
 * payload over MAX_HEADER_BYTES, bad UTF-8, bad JSON, a member name that
 * occurs twice in one object, or a bad field.
 */
export function parseHeader(payload: Uint8Array): Header {
  // The frame reader already caps the length; checking again here makes
  // this function safe to call on its own.
  if (payload.length > MAX_HEADER_BYTES)
    throw bad(`it is ${payload.length} bytes long; the limit is ${MAX_HEADER_BYTES}`);

  let text: string;
  try {
    // fatal: true refuses invalid UTF-8 instead of turning it into U+FFFD.
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    throw bad('it is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad('it is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('it is not a JSON object');
  // {"name":"../x","name":"ok.txt"}: JSON.parse keeps the last, another
  // parser (a proxy, a logger) may keep the first. Refuse what is ambiguous.
  const twice = duplicateMember(text);
  if (twice !== undefined) throw bad(`the member ${JSON.stringify(twice)} occurs twice`);

  const { name, size, sha256 } = value as Record<string, unknown>;
  if (typeof name !== 'string') throw bad('"name" must be a string');
  // Number.isSafeInteger refuses strings, 1.5, NaN and anything past 2^53 - 1,
  // where a double can no longer count bytes exactly.
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw bad(`"size" must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`);
  }
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))
    throw bad('"sha256" must be 64 lowercase hex digits');
  // A fresh object: nothing else from the network (such as "__proto__") rides along.
  return { name, size, sha256 };
}

function bad(why: string): TransferError {
  return new TransferError('bad-header', `the header is refused: ${why}`);
}
