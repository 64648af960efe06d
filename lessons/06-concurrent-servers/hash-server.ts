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
  // TODO: serve every client at once, as in task 3, but with the for-await
  // loop of task 1, because an answer now takes time: for each line,
  // await send(socket, await answer(line)), where answer is an async
  // function. hashSecret(line) is undefined for a plain line (shout it);
  // for a HASH line, compute the digest with the callback API,
  // promisify(pbkdf2)(secret, HASH_SALT, iterations, 32, 'sha256'), never
  // pbkdf2Sync, and reply hashReply(digest). Count the jobs in flight over
  // the whole server; at maxHashesInFlight, reply Refusal.busy (task 4).
  throw new Error('TODO: write createHashServer (task 4 in lessons/06-concurrent-servers/README.md)');
}
