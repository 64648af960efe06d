// Lesson 06, task 4: heavy work, off the event loop.
//
// Say your shout server also checks passwords: `HASH <secret>` costs a
// tenth of a second of PBKDF2. Written with pbkdf2Sync, that tenth of a
// second is spent on the one thread that serves every client, and all of
// them wait. Written with the callback version, the work runs on libuv's
// thread pool while the event loop keeps answering everyone else, and a
// bound on the jobs in flight says "busy" instead of queueing for ever.
import { pbkdf2 } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import {
  DEFAULT_HASH_ITERATIONS,
  HASH_SALT,
  LineTooLongError,
  Refusal,
  hashReply,
  hashSecret,
  readLines,
  refuse,
  send,
  shout,
} from './shout-protocol.ts';

const pbkdf2Async = promisify(pbkdf2);

export interface HashServerOptions {
  /** PBKDF2 iterations of a HASH reply. Default 100,000 (DEFAULT_HASH_ITERATIONS). */
  hashIterations?: number;
  /** HASH jobs running at once, over all clients; one more gets "ERR busy". Default 4, libuv's pool size. */
  maxHashesInFlight?: number;
}

/**
 * Creates (but does not start) a shout server that also answers
 * `HASH <secret>` with the PBKDF2 digest in hex, computed off the event
 * loop. With `maxHashesInFlight` jobs already running, a HASH request gets
 * `ERR busy` and the connection stays open.
 */
export function createHashServer(options: HashServerOptions = {}): Server {
  const iterations = options.hashIterations ?? DEFAULT_HASH_ITERATIONS;
  const maxInFlight = options.maxHashesInFlight ?? 4;
  // One counter for the whole server: the pool is shared by every client.
  let inFlight = 0;

  const answer = async (line: Buffer): Promise<Buffer | string> => {
    const secret = hashSecret(line);
    if (secret === undefined) return shout(line);
    if (inFlight >= maxInFlight) return Refusal.busy; // say so now, rather than queue without bound
    inFlight++;
    try {
      // The callback API: the 100 ms of work happen on one of libuv's
      // threads, and this loop is free for other clients until it is done.
      return hashReply(await pbkdf2Async(secret, HASH_SALT, iterations, 32, 'sha256'));
    } finally {
      // Counted down when the job ends, even if the client has left: the
      // pool thread was busy until now either way.
      inFlight--;
    }
  };

  // allowHalfOpen: a client may send its lines and end its side at once; it still gets every reply.
  return createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    void serve(socket, answer);
  });
}

async function serve(socket: Socket, answer: (line: Buffer) => Promise<Buffer | string>): Promise<void> {
  try {
    for await (const line of readLines(socket)) await send(socket, await answer(line));
    socket.end();
  } catch (error) {
    if (error instanceof LineTooLongError) refuse(socket, Refusal.tooLong);
    else socket.destroy();
  }
}
