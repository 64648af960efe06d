import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs, withDeadline } from '../../runner/kit/index.ts';
import { checkRegistration, registerUser } from './register.ts';
import { UserStore } from './user-store.ts';

const tempDir = useTempDirs('wb07-register-');

/** A hasher that counts its calls, so a test can prove no hash ran. */
function countingHasher(): { hash: (password: string) => Promise<string>; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    hash: async (password: string) => {
      calls.push(password);
      return `fake-hash-${calls.length}`;
    },
  };
}

async function freshStore(): Promise<UserStore> {
  return UserStore.open(join(await tempDir(), 'users.json'));
}

function registering<T>(promise: Promise<T>): Promise<T> {
  return withDeadline(promise, { ms: 5_000, message: 'registerUser never finished' });
}

describe('Task 3: registration with input limits', () => {
  it('accepts names of 3 to 32 characters from a-z 0-9 _ . - starting with a letter or digit', () => {
    for (const user of ['bob', 'alice.smith', 'x_1-2', '007', 'a'.repeat(32)]) {
      expect(checkRegistration(user, 'long enough'), `the name "${user}"`).toMatchObject({ ok: true, user });
    }
  });

  it('refuses other names with bad-username', () => {
    const bad = ['', 'ab', 'a'.repeat(33), 'Alice', '.hidden', '_x_', 'bob smith', 'bob\n', 'bø', 'a/b', 'bob\u0000'];
    for (const user of bad) {
      expect(checkRegistration(user, 'long enough'), `the name ${JSON.stringify(user)}`).toEqual({
        ok: false,
        error: 'bad-username',
      });
    }
  });

  it('measures the password in UTF-8 bytes after NFC: 8 to 1024 bytes', () => {
    expect(checkRegistration('bob', '1234567'), '7 bytes').toEqual({ ok: false, error: 'password-too-short' });
    expect(checkRegistration('bob', '12345678'), '8 bytes').toMatchObject({ ok: true });
    // "é" is 2 bytes in UTF-8: 4 of them are 8 bytes though only 4 characters.
    expect(checkRegistration('bob', '\u00e9\u00e9\u00e9\u00e9'), '4 × é = 8 bytes').toMatchObject({ ok: true });
    expect(checkRegistration('bob', 'x'.repeat(1024)), '1024 bytes').toMatchObject({ ok: true });
    expect(checkRegistration('bob', 'x'.repeat(1025)), '1025 bytes').toEqual({ ok: false, error: 'password-too-long' });
    // 342 × "€" is 1026 bytes: over the limit, though only 342 characters.
    expect(checkRegistration('bob', '\u20ac'.repeat(342)), '342 × € = 1026 bytes').toEqual({
      ok: false,
      error: 'password-too-long',
    });
  });

  it('returns the password in NFC, never cut', () => {
    const result = checkRegistration('bob', 'cafe\u0301 au lait');
    expect(result, 'e + combining accent becomes é').toEqual({ ok: true, user: 'bob', password: 'caf\u00e9 au lait' });
  });

  it('refuses a 1 MiB password before any hashing', async () => {
    const hasher = countingHasher();
    const store = await freshStore();
    const result = await registering(registerUser(store, hasher.hash, 'bob', 'x'.repeat(1024 * 1024)));
    expect(result, 'registering with a 1 MiB password').toEqual({ ok: false, error: 'password-too-long' });
    expect(hasher.calls.length, 'hashes run for a refused password: check the limits first').toBe(0);
    expect(store.get('bob'), 'the user after a refused registration').toBeUndefined();
  });

  it('refuses a bad name or a short password before any hashing', async () => {
    const hasher = countingHasher();
    const store = await freshStore();
    expect(await registering(registerUser(store, hasher.hash, 'Bob', 'long enough')), 'the name "Bob"').toEqual({
      ok: false,
      error: 'bad-username',
    });
    expect(await registering(registerUser(store, hasher.hash, 'bob', 'short')), 'the password "short"').toEqual({
      ok: false,
      error: 'password-too-short',
    });
    expect(hasher.calls.length, 'hashes run for refused input').toBe(0);
  });

  it('hashes the NFC password once and stores the result', async () => {
    const hasher = countingHasher();
    const store = await freshStore();
    expect(await registering(registerUser(store, hasher.hash, 'bob', 'cafe\u0301 au lait')), 'registering bob').toEqual(
      { ok: true },
    );
    expect(hasher.calls, 'what was hashed').toEqual(['caf\u00e9 au lait']);
    expect(store.get('bob'), "bob's record").toEqual({ hash: 'fake-hash-1' });
  });

  it('refuses a name that is taken', async () => {
    const hasher = countingHasher();
    const store = await freshStore();
    await registering(registerUser(store, hasher.hash, 'bob', 'first password'));
    expect(await registering(registerUser(store, hasher.hash, 'bob', 'second password')), 'bob again').toEqual({
      ok: false,
      error: 'taken',
    });
    expect(store.get('bob'), "bob's record stays the first one").toEqual({ hash: 'fake-hash-1' });
  });

  it('lets exactly one of two registrations racing for one name win', async () => {
    const hasher = countingHasher();
    const store = await freshStore();
    const results = await registering(
      Promise.all([
        registerUser(store, hasher.hash, 'bob', 'password one'),
        registerUser(store, hasher.hash, 'bob', 'password two'),
      ]),
    );
    const wins = results.filter((r) => r.ok).length;
    expect(wins, `two registrations of "bob" at once: ${JSON.stringify(results)}`).toBe(1);
    expect(
      results.find((r) => !r.ok),
      'the loser is told',
    ).toEqual({ ok: false, error: 'taken' });
  });
});
