// Lesson 07, task 7: the login server, over frames.
//
// Say the server answered "no such user" to one name and "wrong password"
// to another, as the tutorial does: anyone could list your users. Or it
// answered unknown names at once and real ones after 0.8 s of scrypt: the
// clock tells the same story. So both failures get one reply, byte for
// byte, after the same work: an unknown name is checked against a dummy
// record. Each request is one frame (lesson 03), and every limit of the
// Wire format is enforced here: registrations are charged to their address
// before any hashing, and past MAX_HASHES_IN_FLIGHT hashes the reply is busy.
import type { Server } from 'node:net';
import { FrameDecoder } from './frame.ts';
import {
  MAX_HASHES_IN_FLIGHT,
  MAX_REQUEST_BYTES,
  REGISTRATION_LIMITS,
  type Reply,
  type Request,
  encodeMessage,
} from './protocol.ts';
import { DEFAULT_PARAMS, type ScryptParams, hashPassword, verifyPassword } from './password.ts';
import { checkRegistration, registerUser } from './register.ts';
import type { SessionStore } from './session.ts';
import type { AttemptLimiter } from './throttle.ts';
import { checkPassword } from './upgrade.ts';
import type { UserStore } from './user-store.ts';

export interface LoginServerOptions {
  store: UserStore;
  /** scrypt parameters for new records and rehashes (OWASP's by default; tests pass cheaper ones). */
  params?: ScryptParams;
  /** Failed logins, per user name and per address (AttemptLimiter's defaults). */
  limiter?: AttemptLimiter;
  /** Registrations, per address, charged before any hashing (REGISTRATION_LIMITS). */
  registrationLimiter?: AttemptLimiter;
  /** Password hashes running at once, logins and registrations together; one more gets 'busy' (4). */
  maxHashesInFlight?: number;
  sessions?: SessionStore;
  /** A connection with no complete request for this long gets 'timeout' and is closed (10 s). */
  idleMs?: number;
  /** Connections served at once; one more gets 'busy' and is closed (256). */
  maxConnections?: number;
}

/** Creates the login server (not yet listening). */
export function createLoginServer(options: LoginServerOptions): Server {
  // TODO: a dummy record (hashPassword of a random secret) made once, for
  // unknown users; net.createServer({ allowHalfOpen: true }) where each
  // connection feeds a FrameDecoder(MAX_REQUEST_BYTES), answers one request at
  // a time (parseRequest, then register / login / whoami / logout), and
  // enforces every refusal of the Wire format (too-big, bad-request, timeout,
  // busy), each followed by FIN.
  // TODO: keep the hashes in check. One count of hashes in flight for the
  // whole server: at maxHashesInFlight (MAX_HASHES_IN_FLIGHT), a login or a
  // registration gets 'busy' at once and the connection stays open. A
  // registration with good input is charged to its address
  // (registrationLimiter, new AttemptLimiter(REGISTRATION_LIMITS) by default)
  // before any hashing: 'try-later' when a wait is in force.
  throw new Error('TODO: write createLoginServer (task 7 in lessons/07-login/README.md)');
}

/**
 * A request, or null if the payload is not one (bad UTF-8, bad JSON, unknown
 * op, a field missing or not a string, or a string with a lone surrogate:
 * the JSON escape \ud800 alone, which is no text and has no UTF-8 form).
 */
export function parseRequest(payload: Buffer): Request | null {
  // TODO: new TextDecoder('utf-8', { fatal: true }), JSON.parse, then check
  // it is an object with a known op and string fields (no lone surrogate).
  throw new Error('TODO: write parseRequest (task 7 in lessons/07-login/README.md)');
}
