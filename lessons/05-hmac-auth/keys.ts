// Lesson 05, task 6: where the key comes from, and what a weak one costs.
//
// Say the key is written in the source, as in the tutorials: every copy of
// the program, every clone of the repository and every client shares it,
// and changing it means a new release. And say it is a word, because a
// word is easy to type. One recorded handshake is then enough to find it,
// offline, at millions of guesses a second. A key is 32 random bytes, kept
// in a file or the environment, with an id so that a new one can be added
// before the old one is retired.
import { readFile } from 'node:fs/promises';
import { macEquals } from './hmac.ts';
import { clientProof } from './proofs.ts';

/** A key that could not be loaded; the message never contains the key. */
export class KeyError extends Error {
  override name = 'KeyError';
}

/** Where a key is kept: a file, or an environment variable; either holds 64 hex digits. */
export type KeySource = { file: string } | { env: string };

/**
 * Loads a 32-byte key written as 64 hex digits (one trailing newline
 * allowed) from a file or from an environment variable (looked up in
 * `environment`, which is process.env by default). Anything else is a
 * KeyError that says what was wrong.
 */
export async function loadKey(source: KeySource, environment: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  // TODO: read the text (readFile for { file }, environment[name] for { env }),
  // drop one trailing newline, check /^[0-9a-fA-F]{64}$/, return
  // Buffer.from(text, 'hex'). Every problem: throw a KeyError that names the
  // file or variable, and never the key.
  throw new Error('TODO: write loadKey (task 6 in lessons/05-hmac-auth/README.md)');
}

/** One recorded handshake, as an observer on the network sees it: the three payloads. */
export interface CapturedHandshake {
  hello: Buffer;
  challenge: Buffer;
  /** The PROOF payload: 03 | 32-byte MAC. */
  proof: Buffer;
}

/**
 * The offline guess: tries each candidate password (its UTF-8 bytes as
 * the key) against a captured handshake, with no connection to anyone.
 * Returns the one that reproduces the PROOF, or undefined.
 */
export function guessKey(capture: CapturedHandshake, candidates: Iterable<string>): string | undefined {
  // TODO: for each word, compute clientProof(Buffer.from(word), hello,
  // challenge) and compare it with the MAC in capture.proof (after its type byte).
  throw new Error('TODO: write guessKey (task 6 in lessons/05-hmac-auth/README.md)');
}
