import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../runner/kit/index.ts';
import { type ScryptParams, hashPassword, verifyPassword } from './password.ts';
import { checkPassword, legacyRecord } from './upgrade.ts';

// Cheap parameters keep the tests fast; "raised" ones stand for a later upgrade.
const OLD: ScryptParams = { ln: 10, r: 8, p: 1 };
const CURRENT: ScryptParams = { ln: 11, r: 8, p: 1 };
// The tutorial's own example: user "xiaoxue", password "pangpangde", salt "wusir".
const TUTORIAL_RECORD = '0cb576a05f23a9557278f41329c8dee1';

function checking<T>(promise: Promise<T>): Promise<T> {
  return withDeadline(promise, { ms: 5_000, message: 'checkPassword never finished' });
}

/** 'rejected', or 'resolved'; a TODO error is passed on as it is (it is not the refusal asked for). */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    if (/^TODO/.test((err as Error).message)) throw err;
    return 'rejected';
  }
}

describe('Task 4: upgrade old records at login', () => {
  it("computes the tutorial's record: md5(salt + md5(password + user)), in hex", () => {
    expect(legacyRecord('xiaoxue', 'pangpangde'), "the tutorial's example").toBe(TUTORIAL_RECORD);
  });

  it('accepts the right password for a legacy record once, and returns an scrypt record to store instead', async () => {
    const outcome = await checking(checkPassword('xiaoxue', 'pangpangde', TUTORIAL_RECORD, CURRENT));
    expect(outcome.ok, 'the right password against the legacy record').toBe(true);
    expect(outcome.rehash, 'a legacy record must be replaced by an scrypt one').toMatch(/^\$scrypt\$ln=11,r=8,p=1\$/);
    expect(await checking(verifyPassword('pangpangde', outcome.rehash!)), 'the new record checks the password').toBe(
      true,
    );
  });

  it('refuses a wrong password for a legacy record, with nothing to store', async () => {
    const outcome = await checking(checkPassword('xiaoxue', 'pangpangdf', TUTORIAL_RECORD, CURRENT));
    expect(outcome, 'a wrong password against the legacy record').toEqual({ ok: false });
    const otherUser = await checking(checkPassword('xiaoxuf', 'pangpangde', TUTORIAL_RECORD, CURRENT));
    expect(otherUser, 'the right password under another user name (the name is in the hash)').toEqual({ ok: false });
  });

  it('rehashes an scrypt record made with other parameters', async () => {
    const old = await checking(hashPassword('correct horse', OLD));
    const outcome = await checking(checkPassword('bob', 'correct horse', old, CURRENT));
    expect(outcome.ok, 'the right password against a record with ln=10').toBe(true);
    expect(outcome.rehash, 'the new record uses the current parameters').toMatch(/^\$scrypt\$ln=11,r=8,p=1\$/);
  });

  it('leaves a record with the current parameters alone', async () => {
    const current = await checking(hashPassword('correct horse', CURRENT));
    expect(await checking(checkPassword('bob', 'correct horse', current, CURRENT)), 'the right password').toEqual({
      ok: true,
    });
    expect(await checking(checkPassword('bob', 'wrong horse', current, CURRENT)), 'a wrong password').toEqual({
      ok: false,
    });
  });

  it('never rehashes on a wrong password', async () => {
    const old = await checking(hashPassword('correct horse', OLD));
    expect(await checking(checkPassword('bob', 'wrong horse', old, CURRENT)), 'a wrong password, old params').toEqual({
      ok: false,
    });
  });

  it('rejects a record that is neither scrypt nor legacy MD5', async () => {
    for (const bad of ['', 'password', '0CB576A05F23A9557278F41329C8DEE1x', '$argon2id$v=19$m=19456,t=2,p=1$x$y']) {
      const outcome = await checking(rejection(checkPassword('bob', 'x', bad, CURRENT)));
      expect(outcome, `checkPassword against ${JSON.stringify(bad)}`).toBe('rejected');
    }
  });
});
