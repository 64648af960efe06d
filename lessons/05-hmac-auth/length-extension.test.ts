import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectBytes } from '../../runner/kit/index.ts';
import { hmacSha256 } from './hmac.ts';
import { forgeAppend } from './length-extension.ts';

/** The naive "signature" the Flickr API used (with MD5): hash(secret || message). */
const naiveSign = (secret: Buffer, message: Buffer): Buffer =>
  createHash('sha256').update(secret).update(message).digest();

describe('Task 2: forge sha256(secret || message) without the secret', () => {
  it('makes a longer message that the naive signature check accepts', () => {
    const secret = randomBytes(16); // the forger never sees it
    const message = Buffer.from('user=alice&amount=10');
    const suffix = Buffer.from('&amount=1000000');
    const forged = forgeAppend(naiveSign(secret, message), message, secret.length, suffix);
    expectBytes(forged.mac, naiveSign(secret, forged.message), 'sha256(secret || forged message), the server check');
  });

  it('keeps the signed message at the start and the suffix at the end, with SHA-256 padding between', () => {
    const secret = randomBytes(16);
    const message = Buffer.from('user=alice&amount=10');
    const suffix = Buffer.from('&amount=1000000');
    const { message: forged } = forgeAppend(naiveSign(secret, message), message, secret.length, suffix);
    expectBytes(forged.subarray(0, message.length), message, 'the start of the forged message');
    expectBytes(forged.subarray(forged.length - suffix.length), suffix, 'the end of the forged message');
    // secret (16) + message (20) = 36 bytes; padding to 64: 0x80, 19 zeros, then 288 bits as u64be.
    const padding = forged.subarray(message.length, forged.length - suffix.length);
    expect(padding.length, 'the padding after 36 bytes is 28 bytes long (36 + 28 = 64)').toBe(28);
    expect(padding[0], 'padding starts with 0x80').toBe(0x80);
    expect(padding.readBigUInt64BE(20), 'padding ends with the length hashed, in bits (36 * 8 = 288)').toBe(288n);
  });

  it('works for every secret length from 0 to 80 bytes (across block boundaries)', () => {
    const message = Buffer.from('file=report.pdf');
    const suffix = Buffer.from('&file=/etc/passwd');
    for (let length = 0; length <= 80; length++) {
      const secret = randomBytes(length);
      const forged = forgeAppend(naiveSign(secret, message), message, length, suffix);
      expectBytes(forged.mac, naiveSign(secret, forged.message), `the forgery for a ${length}-byte secret`);
    }
  });

  it('does not work against HMAC: the same trick gives a wrong tag', () => {
    const secret = randomBytes(32);
    const message = Buffer.from('user=alice&amount=10');
    const forged = forgeAppend(hmacSha256(secret, message), message, secret.length, Buffer.from('&amount=1000000'));
    expect(
      forged.mac.equals(hmacSha256(secret, forged.message)),
      'HMAC hashes the key twice (inner and outer), so a digest is not a state you can resume',
    ).toBe(false);
  });
});
