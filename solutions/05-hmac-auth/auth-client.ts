// Lesson 05, task 5: the client side, which checks the server too.
//
// Say someone on the path answers your connection instead of the real
// server. In the tutorials only the client proves anything, so it would
// send that impostor its requests. Here the client sends a nonce of its
// own, and the server must answer with a proof only the key can make.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { FrameError, encodeFrame } from './frame.ts';
import { FrameReader } from './frame-reader.ts';
import { macEquals } from './hmac.ts';
import { clientProof, serverProof } from './proofs.ts';
import {
  AuthError,
  DEFAULT_CLIENT_MS,
  KEY_ID_PATTERN,
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
  // The caller's mistake, not the server's: refuse it before a byte is sent.
  if (!KEY_ID_PATTERN.test(options.keyId))
    throw new RangeError(`key id ${JSON.stringify(options.keyId)} is not 1-64 of A-Z a-z 0-9 . _ -`);
  const reader = new FrameReader(stream);
  stream.on('error', () => {}); // the reader sees the error and rejects
  let timer: NodeJS.Timeout | undefined;
  const ms = options.deadlineMs ?? DEFAULT_CLIENT_MS;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AuthError('timeout', `the server did not finish the handshake within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([handshake(stream, reader, options), timeout]);
  } catch (error) {
    reader.release();
    stream.destroy();
    if (error instanceof AuthError) throw error;
    if (error instanceof FrameError) throw new AuthError('malformed', error.message);
    throw new AuthError('closed', `the connection failed: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

async function handshake(stream: Duplex, reader: FrameReader, options: AuthClientOptions): Promise<AuthSession> {
  const hello = helloMessage(randomBytes(NONCE_BYTES), options.keyId);
  stream.write(encodeFrame(hello));

  const challenge = await expectMessage(reader, MessageType.CHALLENGE, 1 + NONCE_BYTES, 'CHALLENGE');
  stream.write(encodeFrame(macMessage(MessageType.PROOF, clientProof(options.key, hello, challenge))));

  const welcome = await expectMessage(reader, MessageType.WELCOME, 1 + MAC_BYTES, 'WELCOME');
  if (!macEquals(serverProof(options.key, hello, challenge), welcome.subarray(1))) {
    throw new AuthError('fake-server', 'the server could not prove it holds the key: its WELCOME is wrong');
  }
  return { keyId: options.keyId, reader };
}

/** The next handshake message, which must be `type` and exactly `length` bytes; REFUSED becomes an AuthError. */
async function expectMessage(reader: FrameReader, type: number, length: number, name: string): Promise<Buffer> {
  const payload = await reader.next(MAX_HANDSHAKE_PAYLOAD);
  if (payload === null) throw new AuthError('closed', `the server closed the connection before its ${name}`);
  if (payload[0] === MessageType.REFUSED && payload.length >= 2) {
    const reason = payload.subarray(2).toString('utf8');
    throw new AuthError('refused', `the server refused (code ${payload[1]}): ${reason}`, payload[1]);
  }
  if (payload[0] !== type || payload.length !== length) {
    throw new AuthError(
      'malformed',
      `expected ${name} (type 0x0${type}, ${length} bytes), got ${payload.length} bytes starting 0x${(payload[0] ?? 0).toString(16)}`,
    );
  }
  return payload;
}
