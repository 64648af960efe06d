import { createHmac, randomBytes } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectBytes, useTempDirs } from '../../runner/kit/index.ts';
import { KeyError, guessKey, loadKey, type CapturedHandshake } from './keys.ts';

const tempDir = useTempDirs();

async function keyFile(contents: string): Promise<string> {
  const file = join(await tempDir(), 'auth.key');
  await writeFile(file, contents);
  await chmod(file, 0o600);
  return file;
}

async function expectKeyError(promise: Promise<unknown>, mentions: string, secret?: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'a bad key must be a KeyError, not a key').toBeInstanceOf(KeyError);
  expect((error as Error).message, 'the error says where the key was looked for').toContain(mentions);
  if (secret) expect((error as Error).message, 'an error message must never contain the key').not.toContain(secret);
}

/** A handshake as an observer records it, made with `key` (computed by the test). */
function capture(key: Buffer): CapturedHandshake {
  const hello = Buffer.concat([Buffer.of(0x01), randomBytes(32), Buffer.from('k1')]);
  const challenge = Buffer.concat([Buffer.of(0x02), randomBytes(32)]);
  const mac = createHmac('sha256', key).update('l05 client proof').update(hello).update(challenge).digest();
  return { hello, challenge, proof: Buffer.concat([Buffer.of(0x03), mac]) };
}

// A small word list, as an attacker's would start: common passwords, then filler.
const WORDS = ['123456', 'password', 'qwerty', 'letmein', 'dragon', 'monkey', 'sunshine', 'iloveyou', 'admin'];
const DICTIONARY = [...WORDS, ...Array.from({ length: 5_000 }, (_, i) => `word${i}`)];

describe('Task 6: keys: loaded, rotated, and never weak', () => {
  const hex = randomBytes(32).toString('hex');

  it('loads 64 hex digits from a file, with or without a newline', async () => {
    expectBytes(await loadKey({ file: await keyFile(`${hex}\n`) }), Buffer.from(hex, 'hex'), 'the key from the file');
    expectBytes(await loadKey({ file: await keyFile(hex) }), Buffer.from(hex, 'hex'), 'the key without a newline');
  });

  it('loads 64 hex digits from an environment variable', async () => {
    const key = await loadKey({ env: 'AUTH_KEY' }, { AUTH_KEY: hex.toUpperCase() });
    expectBytes(key, Buffer.from(hex, 'hex'), 'the key from AUTH_KEY');
  });

  it('refuses a missing file or an unset variable with a KeyError', async () => {
    await expectKeyError(loadKey({ file: join(await tempDir(), 'nope.key') }), 'nope.key');
    await expectKeyError(loadKey({ env: 'AUTH_KEY' }, {}), 'AUTH_KEY');
  });

  for (const [what, text] of [
    ['a password', 'sunshine'],
    ['63 hex digits (31.5 bytes)', 'a'.repeat(63)],
    ['65 hex digits', 'a'.repeat(65)],
    ['32 hex digits (16 bytes: shorter than the hash)', 'ab'.repeat(16)],
    ['64 characters that are not hex', 'z'.repeat(64)],
    ['a key with spaces around it', ` ${'ab'.repeat(32)} `],
    ['an empty file', ''],
  ] as const) {
    it(`refuses ${what}, and does not print it`, async () => {
      await expectKeyError(
        loadKey({ file: await keyFile(text) }),
        'auth.key',
        text.length > 3 ? text.trim() : undefined,
      );
      await expectKeyError(loadKey({ env: 'K' }, { K: text }), 'K', text.length > 3 ? text.trim() : undefined);
    });
  }

  it('finds a weak key from one captured handshake, offline', () => {
    expect(guessKey(capture(Buffer.from('sunshine')), DICTIONARY), 'the password behind the captured proof').toBe(
      'sunshine',
    );
  });

  it('finds nothing when the key is 32 random bytes', () => {
    expect(guessKey(capture(randomBytes(32)), DICTIONARY), 'no word makes this proof').toBeUndefined();
  });

  it('checks the whole proof: a capture with another challenge does not match', () => {
    const seen = capture(Buffer.from('dragon'));
    const other = capture(Buffer.from('dragon'));
    expect(guessKey({ ...seen, challenge: other.challenge }, WORDS), 'the proof belongs to its own challenge').toBe(
      undefined,
    );
  });
});
