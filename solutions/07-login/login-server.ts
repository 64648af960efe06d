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
import { randomBytes } from 'node:crypto';
import { type Server, type Socket, createServer } from 'node:net';
import { FrameDecoder, FrameError } from './frame.ts';
import {
  MAX_HASHES_IN_FLIGHT,
  MAX_REQUEST_BYTES,
  REGISTRATION_LIMITS,
  type Reply,
  type Request,
  encodeMessage,
} from './protocol.ts';
import { DEFAULT_PARAMS, type ScryptParams, hashPassword, parseRecord, verifyPassword } from './password.ts';
import { checkRegistration, registerUser } from './register.ts';
import { SessionStore } from './session.ts';
import { AttemptLimiter } from './throttle.ts';
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
  const { store, params = DEFAULT_PARAMS, idleMs = 10_000, maxConnections = 256 } = options;
  const limiter = options.limiter ?? new AttemptLimiter();
  const registrations = options.registrationLimiter ?? new AttemptLimiter(REGISTRATION_LIMITS);
  const maxHashesInFlight = options.maxHashesInFlight ?? MAX_HASHES_IN_FLIGHT;
  const sessions = options.sessions ?? new SessionStore();
  // A record nobody can match, hashed like a real one: unknown names are checked against it.
  const dummy = hashPassword(randomBytes(32).toString('base64'), params);
  dummy.catch(() => {}); // a failure shows at the first login that awaits it

  // #region same-work
  /** True only for the right password of a real user. Same work whether or not `user` exists. */
  async function passwordMatches(user: string, password: string): Promise<{ ok: boolean; rehash?: string }> {
    const dummyRecord = await dummy;
    const record = store.get(user);
    if (!record) {
      await verifyPassword(password, dummyRecord);
      return { ok: false };
    }
    const outcome = await checkPassword(user, password, record.hash, params).catch(() => ({ ok: false }));
    // A legacy MD5 record is checked in microseconds: add the scrypt an unknown name costs.
    if (!outcome.ok && !parseRecord(record.hash)) await verifyPassword(password, dummyRecord);
    return outcome;
  }
  // #endregion same-work

  // One count for the whole server: every connection shares libuv's pool.
  let hashesInFlight = 0;

  /** Runs `work` (one password check or hash) as one of the hashes in flight. */
  async function hashing<T>(work: () => Promise<T>): Promise<T> {
    hashesInFlight += 1;
    try {
      return await work();
    } finally {
      // Counted down when the hash ends, even if its client has left: its thread was busy until now.
      hashesInFlight -= 1;
    }
  }

  // The check (`hashesInFlight >= ...`, `begin`) and the count (`hashing`)
  // run with no await between them: two requests cannot both take the last place.
  async function login(user: string, password: string, address: string): Promise<Reply> {
    if (hashesInFlight >= maxHashesInFlight) return { ok: false, error: 'busy' }; // nothing charged
    const keys = [`user:${user}`, `ip:${address}`];
    const gate = limiter.begin(keys); // charged now, so parallel attempts count too
    if (!gate.allowed) return { ok: false, error: 'try-later', retryAfterMs: gate.retryAfterMs };
    const outcome = await hashing(() => passwordMatches(user, password));
    if (!outcome.ok) {
      const { attemptsLeft, retryAfterMs } = limiter.status(keys);
      return { ok: false, error: 'login-failed', attemptsLeft, retryAfterMs };
    }
    limiter.succeed(keys[0]!, [keys[1]!]);
    // If the rehash cannot be saved, the old record still works: try again next login.
    if (outcome.rehash) await store.replace(user, { hash: outcome.rehash }).catch(() => {});
    const { token } = sessions.issue(user);
    return { ok: true, token, expiresInMs: sessions.ttlMs };
  }

  async function register(user: string, password: string, address: string): Promise<Reply> {
    const checked = checkRegistration(user, password);
    if (!checked.ok) return checked; // refused input costs nothing: no hash, no charge
    if (hashesInFlight >= maxHashesInFlight) return { ok: false, error: 'busy' }; // nothing charged
    // Charged before any hashing, whatever comes of it ('taken' included): each one may cost a hash.
    const gate = registrations.begin([`ip:${address}`]);
    if (!gate.allowed) return { ok: false, error: 'try-later', retryAfterMs: gate.retryAfterMs };
    const hash = (pw: string): Promise<string> => hashPassword(pw, params);
    return hashing(() => registerUser(store, hash, checked.user, checked.password));
  }

  async function answer(request: Request, address: string): Promise<Reply> {
    switch (request.op) {
      case 'register':
        return register(request.user, request.password, address);
      case 'login':
        return login(request.user, request.password, address);
      case 'whoami': {
        const user = sessions.check(request.token);
        return user === undefined ? { ok: false, error: 'bad-token' } : { ok: true, user };
      }
      case 'logout':
        sessions.revoke(request.token);
        return { ok: true };
    }
  }

  let open = 0;
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {}); // a reset peer is normal; 'close' follows and cleans up
    if (open >= maxConnections) {
      socket.end(encodeMessage({ ok: false, error: 'busy' }));
      socket.resume(); // discard what it sends until it goes
      setTimeout(() => socket.destroy(), 2_000).unref();
      return;
    }
    open += 1;
    socket.once('close', () => (open -= 1));
    const address = socket.remoteAddress ?? 'unknown'; // read now: it is gone once the socket is reset
    serveConnection(socket, idleMs, (request) => answer(request, address));
  });
  return server;
}

/**
 * One connection: frames in, one request at a time, replies in order. Stops
 * reading while a request is handled, so a flood waits in the kernel, not in
 * our memory.
 */
function serveConnection(socket: Socket, idleMs: number, answer: (request: Request) => Promise<Reply>): void {
  const decoder = new FrameDecoder(MAX_REQUEST_BYTES);
  const pending: Buffer[] = [];
  let busy = false;
  let closing = false;
  let peerEnded = false;
  /** A frame over the limit came: refuse once the whole requests before it are answered. */
  let refuseAfter: 'too-big' | undefined;
  let idle = setTimeout(() => fail('timeout'), idleMs);

  function fail(error: 'timeout' | 'too-big' | 'bad-request'): void {
    if (closing) return;
    closing = true;
    clearTimeout(idle);
    pending.length = 0;
    socket.end(encodeMessage({ ok: false, error })); // FIN after the reply
    socket.resume(); // discard the rest of what it sends
    // A peer that never reads or never ends its side must not hold the socket forever.
    setTimeout(() => socket.destroy(), 2_000).unref();
  }

  async function pump(): Promise<void> {
    busy = true;
    clearTimeout(idle);
    while (pending.length > 0 && !closing && !socket.destroyed) {
      const request = parseRequest(pending.shift()!);
      if (!request) return fail('bad-request');
      const reply = await answer(request);
      if (closing || socket.destroyed) return;
      if (!socket.write(encodeMessage(reply))) {
        // A peer that does not read: wait until it does (or goes).
        await new Promise<void>((resolve) => {
          const done = (): void => {
            socket.off('drain', done);
            socket.off('close', done);
            resolve();
          };
          socket.on('drain', done);
          socket.on('close', done);
        });
      }
    }
    busy = false;
    if (closing || socket.destroyed) return;
    if (refuseAfter) return fail(refuseAfter);
    if (peerEnded) {
      socket.end();
      return;
    }
    idle = setTimeout(() => fail('timeout'), idleMs);
    socket.resume();
  }

  socket.on('data', (chunk: Buffer) => {
    if (closing || refuseAfter) return;
    try {
      pending.push(...decoder.push(chunk));
    } catch (error) {
      // The whole requests before the bad length were sent in good faith: answer them, then refuse.
      if (error instanceof FrameError) pending.push(...error.framesBefore);
      refuseAfter = 'too-big';
      if (pending.length === 0 && !busy) return fail('too-big');
    }
    if (pending.length === 0) return;
    socket.pause();
    if (!busy) void pump().catch(() => socket.destroy());
  });
  socket.on('end', () => {
    peerEnded = true;
    if (closing) return;
    if (!busy) {
      clearTimeout(idle);
      socket.end(); // a request cut short is dropped; whole ones were answered
    }
  });
  socket.on('close', () => {
    closing = true;
    clearTimeout(idle);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A request, or null if the payload is not one (bad UTF-8, bad JSON, unknown
 * op, a field missing or not a string, or a string with a lone surrogate:
 * the JSON escape \ud800 alone, which is no text and has no UTF-8 form).
 */
export function parseRequest(payload: Buffer): Request | null {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(payload));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const message = value as Record<string, unknown>;
  const text = (key: string): string | null => {
    const field = message[key];
    return typeof field === 'string' && !/\p{Surrogate}/u.test(field) ? field : null;
  };
  const op = text('op');
  if (op === 'register' || op === 'login') {
    const user = text('user');
    const password = text('password');
    return user !== null && password !== null ? { op, user, password } : null;
  }
  if (op === 'whoami' || op === 'logout') {
    const token = text('token');
    return token !== null ? { op, token } : null;
  }
  return null;
}
