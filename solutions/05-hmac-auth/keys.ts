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
  let text: string;
  let where: string;
  if ('file' in source) {
    where = `key file ${source.file}`;
    try {
      text = await readFile(source.file, 'utf8');
    } catch (error) {
      throw new KeyError(`${where}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else {
    where = `environment variable ${source.env}`;
    const value = environment[source.env];
    if (value === undefined) throw new KeyError(`${where} is not set`);
    text = value;
  }
  const hex = text.replace(/\r?\n$/, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    // Say how long it is, never what it is: error messages end up in logs.
    throw new KeyError(
      `${where}: a key is 64 hex digits (32 random bytes), found ${hex.length} characters that are not that`,
    );
  }
  return Buffer.from(hex, 'hex');
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
  const seen = capture.proof.subarray(1);
  for (const word of candidates) {
    if (macEquals(clientProof(Buffer.from(word, 'utf8'), capture.hello, capture.challenge), seen)) return word;
  }
  return undefined;
}
