import crypto, { scrypt } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDeadline } from '../../runner/kit/index.ts';
import { DEFAULT_PARAMS, type ScryptParams, hashPassword, verifyPassword } from './password.ts';

// Cheap parameters keep these tests fast (N = 2^10 takes about 1 ms); one
// test uses the real ones (about 0.8 s per hash here).
const FAST: ScryptParams = { ln: 10, r: 8, p: 1 };
const RECORD = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$/;

function hashing<T>(promise: Promise<T>, ms = 5_000): Promise<T> {
  return withDeadline(promise, { ms, message: 'your hashPassword or verifyPassword never finished' });
}

/** The record the README describes, computed here with node:crypto, to check against. */
function expectedRecord(password: string, salt: Buffer, params: ScryptParams): Promise<string> {
  return new Promise((resolve, reject) => {
    const N = 2 ** params.ln;
    scrypt(password, salt, 32, { N, r: params.r, p: params.p, maxmem: 256 * N * params.r }, (err, key) => {
      if (err) return reject(err);
      const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '');
      resolve(`$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`);
    });
  });
}

/** 'rejected', or what it resolved with; a TODO error is passed on as it is (it is not the refusal asked for). */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    return `resolved ${String(await promise)}`;
  } catch (err) {
    if (/^TODO/.test((err as Error).message)) throw err;
    return 'rejected';
  }
}

afterEach(() => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
});

describe('Task 1: store passwords with scrypt and a salt per user', () => {
  it('writes $scrypt$ln=..,r=..,p=..$<salt>$<hash> with a 16-byte salt and a 32-byte hash, base64 without padding', async () => {
    const stored = await hashing(hashPassword('correct horse', FAST));
    const match = RECORD.exec(stored);
    expect(match, `"${stored}" is not $scrypt$ln=10,r=8,p=1$<22 base64 chars>$<43 base64 chars>`).not.toBeNull();
    expect(match!.slice(1, 4), 'the parameters in the record').toEqual(['10', '8', '1']);
    // Recompute with the record's own salt: the hash must be scrypt's.
    const salt = Buffer.from(match![4]!, 'base64');
    expect(await expectedRecord('correct horse', salt, FAST), 'the hash part must be scrypt(password, salt)').toBe(
      stored,
    );
  });

  it('gives two users with the same password different records (a random salt each)', async () => {
    const records = await hashing(Promise.all([1, 2, 3].map(() => hashPassword('same password', FAST))));
    expect(new Set(records).size, 'three hashes of "same password" must all differ').toBe(3);
    const salts = records.map((r) => RECORD.exec(r)?.[4]);
    expect(new Set(salts).size, 'each record needs its own salt').toBe(3);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashing(hashPassword('correct horse', FAST));
    expect(await hashing(verifyPassword('correct horse', stored)), 'the right password').toBe(true);
    expect(await hashing(verifyPassword('correct horsf', stored)), 'a wrong password').toBe(false);
    expect(await hashing(verifyPassword('', stored)), 'an empty password').toBe(false);
  });

  it('verifies a record made elsewhere, with the parameters written in it', async () => {
    const salt = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const stored = await expectedRecord('tr0ub4dor', salt, { ln: 11, r: 4, p: 2 });
    expect(await hashing(verifyPassword('tr0ub4dor', stored)), `verifying ${stored}`).toBe(true);
    expect(await hashing(verifyPassword('tr0ub4dox', stored)), 'a wrong password against it').toBe(false);
  });

  it('treats "é" typed as one code point or as e + accent as the same password (NFC)', async () => {
    const stored = await hashing(hashPassword('caf\u00e9 au lait', FAST));
    expect(await hashing(verifyPassword('cafe\u0301 au lait', stored)), 'the decomposed form').toBe(true);
  });

  it('compares hashes with crypto.timingSafeEqual', async () => {
    const stored = await hashing(hashPassword('correct horse', FAST));
    const spy = vi.spyOn(crypto, 'timingSafeEqual');
    syncBuiltinESMExports(); // so that `import { timingSafeEqual } from 'node:crypto'` sees the spy
    await hashing(verifyPassword('wrong', stored));
    expect(spy, 'verifyPassword must compare with timingSafeEqual (=== or equals() leak timing)').toHaveBeenCalled();
  });

  it('refuses a stored string that is not an scrypt record, with an error', async () => {
    for (const bad of ['', '5f4dcc3b5aa765d61d8327deb882cf99', '$scrypt$ln=99,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$x']) {
      const outcome = await hashing(rejection(verifyPassword('x', bad)));
      expect(outcome, `verifyPassword('x', ${JSON.stringify(bad)}) must reject`).toBe('rejected');
    }
  });

  it("uses OWASP's parameters by default (ln=17, r=8, p=1: it needs maxmem raised), without blocking the event loop", async () => {
    expect(DEFAULT_PARAMS, 'DEFAULT_PARAMS').toEqual({ ln: 17, r: 8, p: 1 });
    const sync = vi.spyOn(crypto, 'scryptSync');
    syncBuiltinESMExports();
    // The event loop's delay while a real hash runs, against the same
    // measure with nothing running: scryptSync would block for the whole hash.
    const idle = await loopDelayDuring(() => new Promise((resolve) => setTimeout(resolve, 300)));
    let stored = '';
    const busy = await loopDelayDuring(async () => {
      stored = await hashing(hashPassword('correct horse'), 30_000);
    });
    expect(stored.startsWith('$scrypt$ln=17,r=8,p=1$'), `the default record "${stored}"`).toBe(true);
    expect(sync, 'use the async scrypt(): scryptSync stops every other connection').not.toHaveBeenCalled();
    expect(
      busy,
      `the event loop stalled for ${busy.toFixed(0)} ms during the hash (idle: ${idle.toFixed(0)} ms): is scrypt blocking it?`,
    ).toBeLessThan(Math.max(400, idle * 5));
  }, 40_000);
});

/** The longest event-loop stall (ms) while `run` runs. */
async function loopDelayDuring(run: () => Promise<unknown>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  try {
    await run();
  } finally {
    histogram.disable();
  }
  return histogram.max / 1e6;
}
