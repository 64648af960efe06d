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
  return randomBytes(NONCE_BYTES); // never Math.random(): its output can be predicted
}

/** Creates (but does not start) a server that runs the handshake on each connection, then echoes frames. */
export function createAuthServer(options: AuthServerOptions): Server {
  // allowHalfOpen: a client may end its side and still read its echoes.
  return createServer({ allowHalfOpen: true }, (socket) => {
    socket.setNoDelay(true); // handshake messages are small and each waits for an answer
    void serveAuthConnection(socket, options);
  });
}

/**
 * Runs the server's side of the handshake on one connection (README,
 * "Wire format"), then echoes every frame until the client ends. Never
 * rejects: whatever the client does, the connection is refused or closed.
 */
export async function serveAuthConnection(stream: Duplex, options: AuthServerOptions): Promise<void> {
  const handshakeMs = options.handshakeMs ?? DEFAULT_HANDSHAKE_MS;
  stream.on('error', () => stream.destroy()); // a reset must not crash the server
  const reader = new FrameReader(stream);
  const refuse = (code: RefusalCode, reason: string): void => refuseAndClose(stream, reader, code, reason);
  const deadline = setTimeout(
    () => refuse(RefusalCode.TIMEOUT, `no valid PROOF within ${handshakeMs} ms`),
    handshakeMs,
  );
  try {
    const hello = await reader.next(MAX_HANDSHAKE_PAYLOAD);
    if (hello === null) return void stream.destroy(); // gone before a word
    const parsed = parseHello(hello);
    if (typeof parsed === 'string') return refuse(RefusalCode.MALFORMED, parsed);
    const key = options.keys.get(parsed.keyId); // a Map: "__proto__" finds nothing
    if (key === undefined) return refuse(RefusalCode.UNKNOWN_KEY, `no key with id ${parsed.keyId}`);

    const challenge = challengeMessage(newNonce());
    stream.write(encodeFrame(challenge));

    const proof = await reader.next(MAX_HANDSHAKE_PAYLOAD);
    if (proof === null) return void stream.destroy();
    if (proof[0] !== MessageType.PROOF || proof.length !== 1 + MAC_BYTES) {
      return refuse(RefusalCode.MALFORMED, `expected PROOF: 03 and a ${MAC_BYTES}-byte MAC (${1 + MAC_BYTES} bytes)`);
    }
    if (!macEquals(clientProof(key, hello, challenge), proof.subarray(1))) {
      return refuse(RefusalCode.BAD_PROOF, 'the proof is wrong');
    }
    clearTimeout(deadline);
    stream.write(encodeFrame(macMessage(MessageType.WELCOME, serverProof(key, hello, challenge))));
    await echo(stream, reader, options.idleMs ?? 60_000);
  } catch (error) {
    if (error instanceof FrameError) refuse(RefusalCode.MALFORMED, error.message);
    else stream.destroy();
  } finally {
    clearTimeout(deadline);
  }
}

/** The authenticated session of this lesson: every frame is sent back as it came. */
async function echo(stream: Duplex, reader: FrameReader, idleMs: number): Promise<void> {
  const idle = setTimeout(() => stream.destroy(), idleMs);
  try {
    for (;;) {
      const frame = await reader.next(MAX_SESSION_PAYLOAD);
      if (frame === null) return void stream.end(); // the client is done: so are we
      idle.refresh();
      // Backpressure: a client that sends but never reads must not fill our memory.
      if (!stream.write(encodeFrame(frame))) await drained(stream);
      idle.refresh();
    }
  } finally {
    clearTimeout(idle);
  }
}

function drained(stream: Duplex): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/**
 * Sends REFUSED, ends our side (FIN), then reads and drops what the client
 * still sends, up to a limit: closing with unread bytes would make the
 * kernel send a reset, which can destroy the REFUSED frame in flight.
 */
function refuseAndClose(stream: Duplex, reader: FrameReader, code: RefusalCode, reason: string): void {
  if (stream.destroyed || stream.writableEnded) return;
  reader.release();
  stream.end(encodeFrame(refusedMessage(code, reason)));
  let dropped = 0;
  const linger = setTimeout(() => stream.destroy(), REFUSAL_LINGER_MS);
  stream.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > MAX_DISCARD_BYTES) stream.destroy();
  });
  stream.once('close', () => clearTimeout(linger));
  stream.once('end', () => stream.destroy());
  stream.resume();
}
