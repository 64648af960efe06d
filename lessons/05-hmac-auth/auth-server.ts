// Lesson 05, task 4: the server side of the handshake.
//
// Say only machines that hold a shared key may use your service. The
// tutorials' server sends random bytes, reads "the answer" with one
// recv(), compares it with ==, and waits forever for a client that says
// nothing. This server reads whole frames with a cap, compares in
// constant time, refuses with a reason, and gives each client a deadline.
import { randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { FrameError, encodeFrame } from './frame.ts';
import { FrameReader } from './frame-reader.ts';
import { macEquals } from './hmac.ts';
import { clientProof, serverProof } from './proofs.ts';
import {
  DEFAULT_HANDSHAKE_MS,
  MAC_BYTES,
  MAX_DISCARD_BYTES,
  MAX_HANDSHAKE_PAYLOAD,
  MAX_SESSION_PAYLOAD,
  MessageType,
  NONCE_BYTES,
  REFUSAL_LINGER_MS,
  RefusalCode,
  challengeMessage,
  macMessage,
  parseHello,
  refusedMessage,
} from './protocol.ts';

export interface AuthServerOptions {
  /** Key id -> key (32 random bytes). Several ids at once let you rotate keys. */
  keys: ReadonlyMap<string, Uint8Array>;
  /** Refuse (TIMEOUT) a client with no valid PROOF this long (ms) after it connects. Default 5 s. */
  handshakeMs?: number;
  /** After WELCOME, close a connection that sends nothing for this long (ms). Default 60 s. */
  idleMs?: number;
}

/** A fresh challenge nonce: 32 bytes from the operating system's CSPRNG. */
export function newNonce(): Buffer {
  // TODO: return randomBytes(NONCE_BYTES). Never Math.random(): it can be predicted.
  throw new Error('TODO: write newNonce (task 4 in lessons/05-hmac-auth/README.md)');
}

/** Creates (but does not start) a server that runs the handshake on each connection, then echoes frames. */
export function createAuthServer(options: AuthServerOptions): Server {
  // TODO: return createServer({ allowHalfOpen: true }, (socket) => ...) that
  // calls serveAuthConnection(socket, options) for each connection.
  throw new Error('TODO: write createAuthServer (task 4 in lessons/05-hmac-auth/README.md)');
}

/**
 * Runs the server's side of the handshake on one connection (README,
 * "Wire format"), then echoes every frame until the client ends. Never
 * rejects: whatever the client does, the connection is refused or closed.
 */
export async function serveAuthConnection(stream: Duplex, options: AuthServerOptions): Promise<void> {
  // TODO: listen for 'error'; make a FrameReader(stream); start the
  // handshake deadline (a TIMEOUT refusal). Read HELLO with
  // next(MAX_HANDSHAKE_PAYLOAD) and parseHello() it; look its key id up in
  // options.keys. Send CHALLENGE with newNonce(). Read PROOF: exactly
  // 1 + MAC_BYTES bytes, type PROOF, and macEquals() to clientProof(). Then
  // WELCOME with serverProof(), and echo frames (MAX_SESSION_PAYLOAD) until
  // next() gives null. Every refusal: reader.release(), end() with a
  // REFUSED frame, drop what still comes (README, task 4).
  throw new Error('TODO: write serveAuthConnection (task 4 in lessons/05-hmac-auth/README.md)');
}
