// Lesson 05, task 2: forge sha256(secret || message) without the secret.
//
// Say an API signs requests as sha256(secret || "user=alice&amount=10"),
// as Flickr's did (with MD5) until 2009. You see one signed request. You
// do not know the secret, only its length (or you try every length). The
// digest is the hash's state after the secret, the message and the
// padding: start from that state, hash a suffix, and you have a valid
// signature for a longer message the owner never signed.
import { Sha256, sha256Padding, stateFromDigest } from './sha256.ts';

/**
 * Given `mac = sha256(secret || message)` and the secret's length, returns
 * a longer message and its valid MAC:
 *   forged.message = message || padding || suffix
 *   forged.mac     = sha256(secret || forged.message)
 * where padding is what SHA-256 appended to secret || message.
 */
export function forgeAppend(
  mac: Uint8Array,
  message: Uint8Array,
  secretLength: number,
  suffix: Uint8Array,
): { message: Buffer; mac: Buffer } {
  const padding = sha256Padding(secretLength + message.length);
  const hashedSoFar = secretLength + message.length + padding.length; // a multiple of 64
  const resumed = new Sha256({ state: stateFromDigest(mac), length: hashedSoFar });
  return {
    message: Buffer.concat([message, padding, suffix]),
    mac: resumed.update(suffix).digest(),
  };
}
