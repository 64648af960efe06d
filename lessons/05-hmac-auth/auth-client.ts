// Lesson 05, task 5: the client side, which checks the server too.
//
// Say someone on the path answers your connection instead of the real
// server. In the tutorials only the client proves anything, so it would
// send that impostor its requests. Here the client sends a nonce of its
// own, and the server must answer with a proof only the key can make.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { FrameError, encodeFrame } from './frame.ts';
import type { FrameReader } from './frame-reader.ts';
import { macEquals } from './hmac.ts';
import { clientProof, serverProof } from './proofs.ts';
import {
  AuthError,
  DEFAULT_CLIENT_MS,
  MAC_BYTES,
  MAX_HANDSHAKE_PAYLOAD,
  MessageType,
  NONCE_BYTES,
  helloMessage,
  macMessage,
} from './protocol.ts';

export interface AuthClientOptions {
  keyId: string;
  key: Uint8Array;
  /** Give up (AuthError 'timeout') if WELCOME has not come this long (ms) after the start. Default 5 s. */
  deadlineMs?: number;
}

/** A connection on which both sides have proved they hold the key. */
export interface AuthSession {
  keyId: string;
  /** Reads the session's frames; bytes that came after WELCOME are in it already. */
  reader: FrameReader;
}

/**
 * Runs the client's side of the handshake on `stream` (README, "Wire
 * format") and resolves once the server has proved itself. On any failure
 * it destroys the stream and rejects with an AuthError that says why:
 * 'refused' (with the server's code), 'fake-server', 'malformed',
 * 'timeout' or 'closed'.
 */
export async function authenticate(stream: Duplex, options: AuthClientOptions): Promise<AuthSession> {
  // TODO: refuse a key id that breaks KEY_ID_PATTERN with a RangeError,
  // sending nothing. Make a FrameReader(stream). Send HELLO with a fresh 32-byte nonce.
  // Read CHALLENGE (REFUSED instead: AuthError 'refused' with its code), send
  // PROOF with clientProof(), read WELCOME and macEquals() it to
  // serverProof(): wrong means 'fake-server'. All within deadlineMs. On any
  // failure: reader.release(), stream.destroy(), reject (README, task 5).
  throw new Error('TODO: write authenticate (task 5 in lessons/05-hmac-auth/README.md)');
}
