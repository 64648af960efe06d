import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectBytes } from '../../runner/kit/index.ts';
import { Opener, Sealer, SessionError, deriveSessionKeys } from './session-mac.ts';

const range = (from: number, n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (from + i) & 0xff));
const hmac = (key: Buffer, ...parts: Buffer[]): Buffer => {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
};
/** HKDF-SHA-256 for 32 bytes, written out from RFC 5869 (extract, then one expand block). */
const hkdf32 = (ikm: Buffer, salt: Buffer, info: string): Buffer =>
  hmac(hmac(salt, ikm), Buffer.from(info), Buffer.of(1));

const key = range(0x00, 32);
const hello = Buffer.concat([Buffer.of(0x01), range(0x20, 32), Buffer.from('k1')]);
const challenge = Buffer.concat([Buffer.of(0x02), range(0x40, 32)]);

function expectRefused(open: () => unknown, why: string): void {
  let error: unknown;
  try {
    open();
  } catch (e) {
    error = e;
  }
  expect(error, `${why}: must throw a SessionError`).toBeInstanceOf(SessionError);
}

/** A sealed conversation: three DATA frames and END. */
function conversation(sealKey: Buffer): Buffer[] {
  const sealer = new Sealer(sealKey);
  return [
    sealer.seal(Buffer.from('transfer 10')),
    sealer.seal(Buffer.from('to savings')),
    sealer.seal(Buffer.alloc(0)),
    sealer.end(),
  ];
}

describe('Task 7: challenge: a MAC on every frame after the handshake', () => {
  it('derives one key per direction with HKDF-SHA-256 (RFC 5869)', () => {
    const keys = deriveSessionKeys(key, hello, challenge);
    const salt = Buffer.concat([hello, challenge]);
    expectBytes(keys.clientToServer, hkdf32(key, salt, 'l05 c2s'), 'the client-to-server key');
    expectBytes(keys.serverToClient, hkdf32(key, salt, 'l05 s2c'), 'the server-to-client key');
  });

  it('derives new keys for a new handshake', () => {
    const other = Buffer.concat([Buffer.of(0x02), range(0x41, 32)]);
    expect(
      deriveSessionKeys(key, hello, other).clientToServer.equals(
        deriveSessionKeys(key, hello, challenge).clientToServer,
      ),
    ).toBe(false);
  });

  it('seals frame 0 as 10 | data | HMAC(key, u64be 0 | 10 | data)', () => {
    const sealed = new Sealer(key).seal(Buffer.from('hi'));
    const expected = Buffer.concat([
      Buffer.of(0x10),
      Buffer.from('hi'),
      hmac(key, Buffer.alloc(8), Buffer.of(0x10), Buffer.from('hi')),
    ]);
    expectBytes(sealed, expected, 'the first sealed frame');
  });

  it('opens what it sealed, in order, and ends cleanly at END', () => {
    const k = randomBytes(32);
    const opener = new Opener(k);
    const frames = conversation(k).map((f) => opener.open(f));
    expect(frames.map((f) => f?.toString() ?? null)).toEqual(['transfer 10', 'to savings', '', null]);
    expect(() => opener.finish(), 'END came: finish() must not throw').not.toThrow();
  });

  it('refuses any frame with one bit changed', () => {
    const k = randomBytes(32);
    const [first] = conversation(k);
    for (let bit = 0; bit < first!.length * 8; bit++) {
      const changed = Buffer.from(first!);
      changed[bit >> 3]! ^= 1 << (bit & 7);
      expectRefused(() => new Opener(k).open(changed), `frame 0 with bit ${bit} flipped`);
    }
  });

  it('refuses frames swapped, replayed, or dropped', () => {
    const k = randomBytes(32);
    const [a, b] = conversation(k);
    expectRefused(() => new Opener(k).open(b!), 'frame 1 where frame 0 belongs (reordered or dropped)');
    const opener = new Opener(k);
    opener.open(a!);
    expectRefused(() => opener.open(a!), 'frame 0 again (replayed)');
  });

  it('refuses a frame sent in the other direction (reflected)', () => {
    const keys = deriveSessionKeys(key, hello, challenge);
    const [first] = conversation(keys.clientToServer);
    expectRefused(() => new Opener(keys.serverToClient).open(first!), "the client's frame 0 played back to it");
  });

  it('notices a stream cut before END', () => {
    const k = randomBytes(32);
    const opener = new Opener(k);
    const [a, b] = conversation(k);
    opener.open(a!);
    opener.open(b!);
    expectRefused(() => opener.finish(), 'the connection ended after 2 frames and no END (truncated)');
  });

  it('refuses anything after END, and a frame too short to hold a tag', () => {
    const k = randomBytes(32);
    const frames = conversation(k);
    const opener = new Opener(k);
    for (const f of frames) opener.open(f);
    expectRefused(() => opener.open(frames[0]!), 'a frame after END');
    expectRefused(() => new Opener(k).open(Buffer.alloc(32)), 'a 32-byte sealed frame (no room for type and tag)');
    // END carries no data. One that does, even with a right tag, is not what Sealer.end() makes.
    const endWithData = Buffer.concat([Buffer.of(0x11, 0x78), hmac(k, Buffer.alloc(8), Buffer.of(0x11, 0x78))]);
    expectRefused(() => new Opener(k).open(endWithData), 'an END frame that carries data ("x")');
    const sealer = new Sealer(k);
    sealer.end();
    expectRefused(() => sealer.seal(Buffer.from('more')), 'sealing after END');
  });
});
