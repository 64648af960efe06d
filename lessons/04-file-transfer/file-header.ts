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
  // TODO: check the length against MAX_HEADER_BYTES; decode with
  // new TextDecoder('utf-8', { fatal: true }); JSON.parse inside try/catch;
  // check that the result is an object (not an array, not null), that
  // duplicateMember(text) (from protocol.ts) finds no name twice, and each
  // field's type and range; return a fresh { name, size, sha256 }. Every
  // refusal is `throw new TransferError('bad-header', <what is wrong>)`.
  throw new Error('TODO: write parseHeader (task 2 in lessons/04-file-transfer/README.md)');
}
