// Lesson 05, task 7 (challenge): protect every frame after the handshake.
//
// Say the handshake succeeded. Now an attacker on the path changes a byte
// of a later frame, swaps two frames, plays one again, or cuts the
// connection after "transfer 10" and before "to savings". The handshake
// proved who was there at the start and nothing since. A MAC on every
// frame, over a sequence number that both sides count, catches all four.
import { hkdfSync } from 'node:crypto';
import { hmacSha256, macEquals } from './hmac.ts';
import { MAC_BYTES } from './protocol.ts';

/** The type byte of a sealed frame. */
export const SealedType = { DATA: 0x10, END: 0x11 } as const;

/** A sealed frame that is forged, out of order, replayed, or missing. */
export class SessionError extends Error {
  override name = 'SessionError';
}

/**
 * One key per direction, from the handshake's key and transcript, with
 * HKDF-SHA-256 (RFC 5869): salt = hello | challenge, info = "l05 c2s" or
 * "l05 s2c", 32 bytes each. A new handshake, new nonces: new keys.
 */
export function deriveSessionKeys(
  key: Uint8Array,
  hello: Uint8Array,
  challenge: Uint8Array,
): { clientToServer: Buffer; serverToClient: Buffer } {
  // TODO: Buffer.from(hkdfSync('sha256', key, salt, info, 32)) for each direction.
  throw new Error('TODO: write deriveSessionKeys (task 7 in lessons/05-hmac-auth/README.md)');
}

/** Seals the frames one side sends: type | data | tag, numbered 0, 1, 2, ... */
export class Sealer {
  constructor(key: Uint8Array) {
    // TODO: keep the key, and a sequence number (a bigint) starting at 0.
  }

  /** The payload of the next DATA frame. */
  seal(data: Uint8Array): Buffer {
    // TODO: 10 | data | HMAC(key, u64be seq | 10 | data), then seq + 1.
    throw new Error('TODO: write Sealer.seal (task 7 in lessons/05-hmac-auth/README.md)');
  }

  /** The payload of the END frame: "I sent everything". Nothing can be sealed after it. */
  end(): Buffer {
    // TODO: 11 | HMAC(key, u64be seq | 11); after it, seal() and end() throw SessionError.
    throw new Error('TODO: write Sealer.end (task 7 in lessons/05-hmac-auth/README.md)');
  }
}

/** Opens the frames the other side sends, in order, and notices any change. */
export class Opener {
  constructor(key: Uint8Array) {
    // TODO: keep the key, and the sequence number you expect next (0n).
  }

  /**
   * The data of a DATA frame, or null for END. Throws SessionError when the
   * frame is not the next one the other side sealed with this key, and for
   * an END frame that carries data.
   */
  open(payload: Uint8Array): Buffer | null {
    // TODO: split type | data | tag (the last MAC_BYTES bytes), recompute the
    // tag for the expected seq with hmacSha256, compare with macEquals. An
    // END (11) must carry no data.
    throw new Error('TODO: write Opener.open (task 7 in lessons/05-hmac-auth/README.md)');
  }

  /** Call when the connection ends: throws SessionError if END never came (the stream was cut). */
  finish(): void {
    throw new Error('TODO: write Opener.finish (task 7 in lessons/05-hmac-auth/README.md)');
  }
}
