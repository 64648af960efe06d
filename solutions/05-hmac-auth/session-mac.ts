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
  const salt = Buffer.concat([hello, challenge]);
  const derive = (info: string): Buffer => Buffer.from(hkdfSync('sha256', key, salt, info, 32));
  return { clientToServer: derive('l05 c2s'), serverToClient: derive('l05 s2c') };
}

/** The tag of frame number `seq`: HMAC(key, u64be seq | type | data). */
function tag(key: Uint8Array, seq: bigint, type: number, data: Uint8Array): Buffer {
  const head = Buffer.alloc(9);
  head.writeBigUInt64BE(seq, 0);
  head[8] = type;
  return hmacSha256(key, Buffer.concat([head, data]));
}

/** Seals the frames one side sends: type | data | tag, numbered 0, 1, 2, ... */
export class Sealer {
  readonly #key: Uint8Array;
  #seq = 0n;
  #ended = false;

  constructor(key: Uint8Array) {
    this.#key = key;
  }

  /** The payload of the next DATA frame. */
  seal(data: Uint8Array): Buffer {
    return this.#next(SealedType.DATA, data);
  }

  /** The payload of the END frame: "I sent everything". Nothing can be sealed after it. */
  end(): Buffer {
    const frame = this.#next(SealedType.END, Buffer.alloc(0));
    this.#ended = true;
    return frame;
  }

  #next(type: number, data: Uint8Array): Buffer {
    if (this.#ended) throw new SessionError('this side has already sent END');
    const sealed = Buffer.concat([Buffer.of(type), data, tag(this.#key, this.#seq, type, data)]);
    this.#seq++;
    return sealed;
  }
}

/** Opens the frames the other side sends, in order, and notices any change. */
export class Opener {
  readonly #key: Uint8Array;
  #seq = 0n;
  #ended = false;

  constructor(key: Uint8Array) {
    this.#key = key;
  }

  /**
   * The data of a DATA frame, or null for END. Throws SessionError when the
   * frame is not the next one the other side sealed with this key, and for
   * an END frame that carries data.
   */
  open(payload: Uint8Array): Buffer | null {
    if (this.#ended) throw new SessionError('a frame came after END');
    if (payload.length < 1 + MAC_BYTES) throw new SessionError(`a sealed frame is at least ${1 + MAC_BYTES} bytes`);
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const type = bytes[0]!;
    const data = bytes.subarray(1, bytes.length - MAC_BYTES);
    if (type !== SealedType.DATA && type !== SealedType.END)
      throw new SessionError(`unknown sealed type 0x${type.toString(16)}`);
    if (type === SealedType.END && data.length > 0) throw new SessionError('an END frame carries no data');
    if (!macEquals(tag(this.#key, this.#seq, type, data), bytes.subarray(bytes.length - MAC_BYTES))) {
      // One message for all causes: altered, reordered, replayed, other direction.
      throw new SessionError(
        `frame ${this.#seq} is not the one the peer sent (altered, reordered, replayed or forged)`,
      );
    }
    this.#seq++;
    if (type === SealedType.END) {
      this.#ended = true;
      return null;
    }
    return Buffer.from(data);
  }

  /** Call when the connection ends: throws SessionError if END never came (the stream was cut). */
  finish(): void {
    if (!this.#ended)
      throw new SessionError(`the stream ended after ${this.#seq} frames without END: it was cut short`);
  }
}
