import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  expectBytes,
  readExactly,
  readUntilEnd,
  useNetKit,
  useTempDirs,
  withDeadline,
} from '../../runner/kit/index.ts';
import { encodeFrame } from './frame.ts';
import { createLoginServer, type LoginServerOptions } from './login-server.ts';
import { type ScryptParams, hashPassword } from './password.ts';
import { REGISTRATION_LIMITS, type Reply, type Request, encodeMessage } from './protocol.ts';
import { AttemptLimiter } from './throttle.ts';
import { UserStore } from './user-store.ts';

const kit = useNetKit();
const tempDir = useTempDirs('wb07-server-');
// Cheap scrypt keeps most tests fast (about 1 ms a hash); the timing tests
// use a dearer one so the hash, not noise, is what they measure.
const FAST: ScryptParams = { ln: 10, r: 8, p: 1 };
const FAILED = '{"ok":false,"error":"login-failed","attemptsLeft":2,"retryAfterMs":0}';

/** A clock the test moves by hand, for the limiter: no test sleeps for a wait. */
function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

async function startServer(options: Partial<LoginServerOptions> = {}, users: Record<string, string> = {}) {
  const store = await UserStore.open(join(await tempDir(), 'users.json'));
  for (const [user, password] of Object.entries(users))
    await store.add(user, { hash: await hashPassword(password, FAST) });
  const server = createLoginServer({ store, params: FAST, ...options });
  const port = await kit.listen(server);
  return { store, server, port };
}

/** Reads one reply frame: the 4-byte length, then the payload. */
async function readReply(socket: Socket, what: string, ms = 5_000): Promise<string> {
  const message = `your server sent no reply to ${what}`;
  const length = (await readExactly(socket, 4, { ms, message })).readUInt32BE(0);
  expect(length, `the length of the reply to ${what}`).toBeLessThanOrEqual(4096);
  return (await readExactly(socket, length, { ms, message })).toString('utf8');
}

async function ask(socket: Socket, request: Request, ms?: number): Promise<string> {
  socket.write(encodeMessage(request));
  return readReply(socket, JSON.stringify(request).slice(0, 80), ms);
}

async function askOnce(port: number, request: Request, ms?: number): Promise<Reply> {
  const socket = await kit.connect(port);
  const reply = JSON.parse(await ask(socket, request, ms)) as Reply;
  socket.destroy();
  return reply;
}

/** Counts scrypt calls from now on. */
function countScrypt(): { count: () => number } {
  const spy = vi.spyOn(crypto, 'scrypt');
  syncBuiltinESMExports(); // so that `import { scrypt } from 'node:crypto'` sees the spy
  return { count: () => spy.mock.calls.length };
}

/** Held scrypt calls of the running test, released after it so no work is left hanging. */
const holds: Array<{ release: () => Promise<void> }> = [];

/**
 * From now on, every scrypt call waits until `release()`: the test sees how
 * many hashes the server started, with none of them finished yet. `until`
 * waits for a condition, re-checked at each scrypt call and at each `bump()`.
 */
function holdScrypt(): {
  count: () => number;
  release: () => Promise<void>;
  bump: () => void;
  until: (condition: () => boolean, message: () => string) => Promise<void>;
} {
  const real = crypto.scrypt as (...args: unknown[]) => void;
  const held: Array<(ran?: () => void) => void> = [];
  const waiters = new Set<() => void>();
  let released = false;
  const bump = (): void => {
    for (const check of [...waiters]) check();
  };
  const spy = vi.spyOn(crypto, 'scrypt').mockImplementation(((...args: unknown[]) => {
    // Calls the real scrypt, then the server's callback, then `ran`.
    const run = (ran?: () => void): void => {
      const callback = args.at(-1) as (...result: unknown[]) => void;
      real(...args.slice(0, -1), (...result: unknown[]) => {
        callback(...result);
        ran?.();
      });
    };
    if (released) run();
    else held.push(run);
    bump();
  }) as typeof crypto.scrypt);
  syncBuiltinESMExports();
  const hold = {
    count: () => spy.mock.calls.length,
    /** Lets every held call run; resolves once their callbacks have been called. */
    release: async () => {
      released = true;
      await Promise.all(held.splice(0).map((run) => new Promise<void>((resolve) => run(resolve))));
    },
    bump,
    until: (condition: () => boolean, message: () => string) =>
      withDeadline(
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (!condition()) return;
            waiters.delete(check);
            resolve();
          };
          waiters.add(check);
          check();
        }),
        { ms: 10_000, message },
      ),
  };
  holds.push(hold);
  return hold;
}

afterEach(async () => {
  await Promise.all(holds.splice(0).map((hold) => hold.release()));
  vi.restoreAllMocks();
  syncBuiltinESMExports();
});

describe('Task 7: the login server: one reply for every failure', () => {
  it('registers, logs in, says whose the token is, and logs out, on one connection', async () => {
    const { port } = await startServer();
    const client = await kit.connect(port);
    const registered = await ask(client, { op: 'register', user: 'alice', password: 'correct horse' });
    expect(registered, 'the reply to a registration').toBe('{"ok":true}');
    const login = await ask(client, { op: 'login', user: 'alice', password: 'correct horse' });
    expect(login, 'the reply to a good login').toMatch(
      /^\{"ok":true,"token":"[A-Za-z0-9_-]{43}","expiresInMs":3600000\}$/,
    );
    const token = (JSON.parse(login) as { token: string }).token;
    expect(await ask(client, { op: 'whoami', token }), 'whoami with the token').toBe('{"ok":true,"user":"alice"}');
    expect(await ask(client, { op: 'logout', token }), 'logout').toBe('{"ok":true}');
    expect(await ask(client, { op: 'whoami', token }), 'whoami after logout').toBe('{"ok":false,"error":"bad-token"}');
  });

  it('refuses bad registrations with their reason, and keeps the connection open', async () => {
    const { port } = await startServer({}, { bob: 'bobs password' });
    const client = await kit.connect(port);
    const cases: Array<[Request, string]> = [
      [{ op: 'register', user: 'Bob', password: 'long enough' }, 'bad-username'],
      [{ op: 'register', user: 'carol', password: 'short' }, 'password-too-short'],
      [{ op: 'register', user: 'carol', password: 'x'.repeat(2000) }, 'password-too-long'],
      [{ op: 'register', user: 'bob', password: 'long enough' }, 'taken'],
    ];
    for (const [request, error] of cases) {
      expect(await ask(client, request), `registering ${request.op === 'register' && request.user}`).toBe(
        `{"ok":false,"error":"${error}"}`,
      );
    }
  });

  it('answers an unknown user and a wrong password with the same bytes', async () => {
    const a = await startServer({}, { alice: 'correct horse' });
    const b = await startServer({}, { alice: 'correct horse' });
    const unknown = await askOnce(a.port, { op: 'login', user: 'nobody', password: 'correct horse' });
    const wrong = await askOnce(b.port, { op: 'login', user: 'alice', password: 'wrong horse' });
    expectBytes(Buffer.from(JSON.stringify(unknown)), Buffer.from(FAILED), 'the reply for an unknown user');
    expectBytes(Buffer.from(JSON.stringify(wrong)), Buffer.from(FAILED), 'the reply for a wrong password');
  });

  it('does the same work for an unknown user as for a wrong password: one scrypt each', async () => {
    const { port } = await startServer(
      { limiter: new AttemptLimiter({ freeFailures: 1e9 }) },
      { alice: 'correct horse' },
    );
    await askOnce(port, { op: 'login', user: 'alice', password: 'warm up' }); // the dummy record is ready
    const scrypt = countScrypt();
    await askOnce(port, { op: 'login', user: 'nobody', password: 'wrong horse' });
    const forUnknown = scrypt.count();
    await askOnce(port, { op: 'login', user: 'alice', password: 'wrong horse' });
    const forWrong = scrypt.count() - forUnknown;
    expect(forWrong, 'scrypt calls for a wrong password').toBe(1);
    expect(forUnknown, 'scrypt calls for an unknown user: check against a dummy record').toBe(1);
  });

  it('takes as long for an unknown user as for a wrong password (medians within 20%)', async () => {
    // scrypt with N = 2^12 costs several ms, far above the noise of one loopback round trip.
    const params: ScryptParams = { ln: 12, r: 8, p: 1 };
    const store = await UserStore.open(join(await tempDir(), 'users.json'));
    await store.add('alice', { hash: await hashPassword('correct horse', params) });
    const limiter = new AttemptLimiter({ freeFailures: 1e9 });
    const port = await kit.listen(createLoginServer({ store, params, limiter }));
    const client = await kit.connect(port);
    const time = async (user: string): Promise<number> => {
      const start = performance.now();
      await ask(client, { op: 'login', user, password: 'wrong horse' });
      return performance.now() - start;
    };
    await time('alice');
    await time('nobody'); // warm up both paths
    // Interleaved samples, so load on the machine hits both alike. A loaded
    // machine can still skew one round; an unequal server is far off in all.
    let said = '';
    for (let round = 0; round < 3; round++) {
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 21; i++) {
        known.push(await time('alice'));
        unknown.push(await time('nobody'));
      }
      const [k, u] = [median(known), median(unknown)];
      said = `median ${u.toFixed(2)} ms for an unknown user, ${k.toFixed(2)} ms for a wrong password`;
      if (Math.abs(k - u) <= 0.2 * Math.max(k, u)) return;
    }
    expect.fail(`${said}: the two must take the same time, or the clock tells who has an account`);
  }, 60_000);

  it('throttles the 4th failure, across new connections, and tells how long to wait', async () => {
    const clock = manualClock();
    const { port } = await startServer({ limiter: new AttemptLimiter({ now: clock.now }) }, { alice: 'correct horse' });
    const attempts: Reply[] = [];
    for (let i = 0; i < 3; i++) attempts.push(await askOnce(port, { op: 'login', user: 'alice', password: 'wrong' }));
    expect(
      attempts.map((r) => JSON.stringify(r)),
      'three failures, each on a new connection',
    ).toEqual([
      '{"ok":false,"error":"login-failed","attemptsLeft":2,"retryAfterMs":0}',
      '{"ok":false,"error":"login-failed","attemptsLeft":1,"retryAfterMs":0}',
      '{"ok":false,"error":"login-failed","attemptsLeft":0,"retryAfterMs":1000}',
    ]);
    const fourth = await askOnce(port, { op: 'login', user: 'alice', password: 'correct horse' });
    expect(JSON.stringify(fourth), 'the 4th attempt on a 4th connection, even with the right password').toBe(
      '{"ok":false,"error":"try-later","retryAfterMs":1000}',
    );
    clock.advance(1_000);
    const later = await askOnce(port, { op: 'login', user: 'alice', password: 'correct horse' });
    expect(later.ok, 'the right password once the wait is over').toBe(true);
  });

  it('lets only three of ten logins at once, on ten connections, try a password', async () => {
    const { port } = await startServer(
      { limiter: new AttemptLimiter({ now: manualClock().now }) },
      { alice: 'pw123456' },
    );
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => askOnce(port, { op: 'login', user: 'alice', password: 'wrong' })),
    );
    const tried = replies.filter((r) => !r.ok && r.error === 'login-failed').length;
    expect(tried, `ten wrong logins at once: ${tried} were checked (at most 3 may be)`).toBe(3);
  });

  it('upgrades a legacy MD5 record on a good login', async () => {
    const { port, store } = await startServer();
    await store.add('xiaoxue', { hash: '0cb576a05f23a9557278f41329c8dee1' }); // the tutorial's record
    const reply = await askOnce(port, { op: 'login', user: 'xiaoxue', password: 'pangpangde' });
    expect(reply.ok, 'the right password against a legacy record').toBe(true);
    expect(store.get('xiaoxue')?.hash, 'the record after the login').toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    const again = await askOnce(port, { op: 'login', user: 'xiaoxue', password: 'pangpangde' });
    expect(again.ok, 'the next login, against the new record').toBe(true);
  });

  it('refuses a frame over 4096 bytes (a 1 MiB password) before any hashing, then ends with FIN', async () => {
    const { port } = await startServer();
    const scrypt = countScrypt();
    const client = await kit.connect(port);
    client.on('error', () => {}); // the server may reset if our extra bytes arrive after it closed
    const big = encodeMessage({ op: 'register', user: 'alice', password: 'x'.repeat(1024 * 1024) });
    client.write(big.subarray(0, 4096));
    const bytes = await readUntilEnd(client, { ms: 5_000 });
    expectBytes(bytes, encodeFrame('{"ok":false,"error":"too-big"}'), 'the reply to a frame of 1 MiB');
    expect(scrypt.count(), 'scrypt calls for a refused frame').toBe(0);
  });

  it('answers the requests that came before a frame over 4096 bytes in the same write, then too-big and FIN', async () => {
    const { port } = await startServer();
    const client = await kit.connect(port);
    client.on('error', () => {}); // the server may reset if our extra bytes arrive after it closed
    const header = Buffer.alloc(4);
    header.writeUInt32BE(4097);
    client.write(
      Buffer.concat([encodeMessage({ op: 'whoami', token: 'x' }), encodeMessage({ op: 'whoami', token: 'y' }), header]),
    );
    const bytes = await readUntilEnd(client, { ms: 5_000, message: 'your server did not end the connection' });
    expectBytes(
      bytes,
      Buffer.concat([
        encodeFrame('{"ok":false,"error":"bad-token"}'),
        encodeFrame('{"ok":false,"error":"bad-token"}'),
        encodeFrame('{"ok":false,"error":"too-big"}'),
      ]),
      'the replies to two whole requests, then to a header of 4097 bytes, all sent in one write (each request gets a reply)',
    );
  });

  it('stays responsive while it hashes: the event loop keeps turning during logins', async () => {
    // N = 2^16 (64 MiB, about 0.4 s a hash here): scryptSync would stall the
    // loop that long for each hash. Measured against the same server's loop
    // while idle. The reads wait up to 30 s: other tests may share the
    // thread pool that scrypt runs on.
    const params: ScryptParams = { ln: 16, r: 8, p: 1 };
    const store = await UserStore.open(join(await tempDir(), 'users.json'));
    await store.add('alice', { hash: await hashPassword('correct horse', params) });
    const port = await kit.listen(createLoginServer({ store, params }));
    const idle = await loopDelayDuring(() => askOnce(port, { op: 'whoami', token: 'x' }));
    const busy = await loopDelayDuring(() =>
      Promise.all([
        askOnce(port, { op: 'login', user: 'alice', password: 'correct horse' }, 30_000),
        askOnce(port, { op: 'login', user: 'nobody', password: 'correct horse' }, 30_000),
      ]),
    );
    expect(
      busy,
      `the event loop stalled ${busy.toFixed(0)} ms during two logins (idle: ${idle.toFixed(0)} ms): hash with the async scrypt()`,
    ).toBeLessThan(Math.max(250, idle * 5));
  }, 40_000);

  it('answers a malformed request with bad-request and FIN, and keeps serving', async () => {
    const { port } = await startServer({}, { alice: 'correct horse' });
    const malformed: Array<[string, Buffer]> = [
      ['an empty frame', encodeFrame('')],
      ['bytes that are not UTF-8', encodeFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))],
      ['text that is not JSON', encodeFrame('op=login')],
      ['a JSON array', encodeFrame('["login"]')],
      ['JSON null', encodeFrame('null')],
      ['an unknown op', encodeFrame('{"op":"delete","user":"alice"}')],
      ['a login without a password', encodeFrame('{"op":"login","user":"alice"}')],
      ['a password that is a number', encodeFrame('{"op":"login","user":"alice","password":12345678}')],
      ['a token that is not a string', encodeFrame('{"op":"whoami","token":["x"]}')],
      // JSON allows the escape \ud800 alone; it is no text (no UTF-8 form), so it is no password either.
      ['a password with a lone surrogate', encodeFrame('{"op":"register","user":"bob","password":"\\ud800abcdefgh"}')],
    ];
    for (const [what, frame] of malformed) {
      const client = await kit.connect(port);
      // A good request first: the bad one comes in the middle of a conversation.
      client.write(Buffer.concat([encodeMessage({ op: 'whoami', token: 'x' }), frame]));
      const bytes = await readUntilEnd(client, {
        ms: 5_000,
        message: `your server did not end the connection after ${what}`,
      });
      expectBytes(
        bytes,
        Buffer.concat([
          encodeFrame('{"ok":false,"error":"bad-token"}'),
          encodeFrame('{"ok":false,"error":"bad-request"}'),
        ]),
        `the replies to a good request, then ${what}`,
      );
    }
    expect(
      (await askOnce(port, { op: 'login', user: 'alice', password: 'correct horse' })).ok,
      'a login after all that',
    ).toBe(true);
  });

  it('answers every request sent before the client ended its side, then ends too', async () => {
    const { port } = await startServer({}, { alice: 'correct horse' });
    const client = await kit.connect(port, { allowHalfOpen: true });
    client.end(
      Buffer.concat([
        encodeMessage({ op: 'login', user: 'alice', password: 'correct horse' }),
        encodeMessage({ op: 'whoami', token: 'x' }),
      ]),
    );
    const bytes = await readUntilEnd(client, { ms: 5_000 });
    const first = bytes.subarray(4, 4 + bytes.readUInt32BE(0)).toString();
    expect(first, 'the first reply').toMatch(/^\{"ok":true,"token":/);
    expect(bytes.subarray(8 + first.length).toString(), 'the second reply').toContain('"bad-token"');
  });

  it('closes a peer that stalls, or lies about a size, with timeout and FIN', async () => {
    const { port } = await startServer({ idleMs: 300 });
    const silent = await kit.connect(port);
    const liar = await kit.connect(port);
    liar.write(Buffer.from([0, 0, 0x0f, 0xa0, 0x7b])); // says 4000 bytes, sends 1
    const timeout = encodeFrame('{"ok":false,"error":"timeout"}');
    expectBytes(await readUntilEnd(silent, { ms: 5_000 }), timeout, 'the reply to a peer that says nothing');
    expectBytes(await readUntilEnd(liar, { ms: 5_000 }), timeout, 'the reply to a peer that sends 1 of 4000 bytes');
  });

  it('survives peers that reset at every point of the exchange', async () => {
    const { port } = await startServer({}, { alice: 'correct horse' });
    const login = encodeMessage({ op: 'login', user: 'alice', password: 'correct horse' });
    for (const cut of [0, 1, 3, 4, 10, login.length - 1, login.length]) {
      const client = await kit.connect(port);
      client.on('error', () => {});
      client.write(login.subarray(0, cut));
      // Wait until the bytes are sent, then reset (RST) without a goodbye.
      await withDeadline(new Promise<void>((resolve) => client.write('', () => resolve())), {
        message: 'write never flushed',
      });
      client.resetAndDestroy();
    }
    const reply = await askOnce(port, { op: 'login', user: 'alice', password: 'correct horse' });
    expect(reply.ok, 'a login after seven resets').toBe(true);
  });

  it('serves others while one peer floods it with requests and never reads', async () => {
    const { port } = await startServer({}, { alice: 'correct horse' });
    const flooder = await kit.connect(port);
    flooder.on('error', () => {});
    flooder.pause(); // never reads a reply
    const frame = encodeMessage({ op: 'whoami', token: 'y'.repeat(2000) });
    // Bounded: stop when the kernel's buffers are full (write returns false) or after 8 MiB.
    for (let sent = 0; sent < 8 * 1024 * 1024; sent += frame.length) if (!flooder.write(frame)) break;
    const reply = await askOnce(port, { op: 'login', user: 'alice', password: 'correct horse' });
    expect(reply.ok, 'a login while another peer floods').toBe(true);
  });

  it('serves fifty connections at once, and answers the one over its limit with busy', async () => {
    const { port } = await startServer({ maxConnections: 50 });
    const clients = await Promise.all(Array.from({ length: 50 }, () => kit.connect(port)));
    const replies = await Promise.all(clients.map((c) => ask(c, { op: 'whoami', token: 'x' })));
    expect(new Set(replies), 'the replies of fifty peers at once').toEqual(
      new Set(['{"ok":false,"error":"bad-token"}']),
    );
    const extra = await kit.connect(port);
    expectBytes(await readUntilEnd(extra, { ms: 5_000 }), encodeFrame('{"ok":false,"error":"busy"}'), 'the 51st peer');
  });

  it('charges registrations to the address before any hashing: of twenty at once, three are hashed, and a login still gets through', async () => {
    // A clock that stands still: on a slow machine twenty requests may take over a second to arrive.
    const registrationLimiter = new AttemptLimiter({ ...REGISTRATION_LIMITS, now: manualClock().now });
    const { port } = await startServer({ registrationLimiter }, { alice: 'correct horse' });
    await askOnce(port, { op: 'login', user: 'alice', password: 'correct horse' }); // the dummy record is ready
    const scrypt = holdScrypt();
    const clients = await Promise.all(Array.from({ length: 20 }, () => kit.connect(port)));
    const replies: string[] = [];
    const registrations = clients.map((client, i) =>
      ask(client, { op: 'register', user: `flood${i}`, password: 'long enough' }, 20_000).then((reply) => {
        replies.push(reply);
        scrypt.bump();
        return reply;
      }),
    );
    const settled = Promise.allSettled(registrations); // so a failure here leaves no unhandled rejection
    // Every registration is now either answered or hashing (none finishes until release()).
    await scrypt.until(
      () => replies.length + scrypt.count() >= 20,
      () => `of twenty registrations, ${replies.length} were answered and ${scrypt.count()} hashing`,
    );
    expect(
      scrypt.count(),
      'scrypt runs for twenty registrations at once from one address: three may start, the rest must wait (try-later) before any hashing',
    ).toBe(3);
    for (const reply of replies) {
      expect(reply, 'the reply to a registration past the third at once').toMatch(
        /^\{"ok":false,"error":"try-later","retryAfterMs":\d+\}$/,
      );
    }
    // A real user logs in meanwhile: one address's registrations must leave a hash for it.
    const login = askOnce(port, { op: 'login', user: 'alice', password: 'correct horse' }, 20_000);
    login.catch(() => {}); // awaited below; a failure before that must not go unhandled
    await scrypt.until(
      () => scrypt.count() === 4,
      () => `a login while three registrations hash: ${scrypt.count() - 3} scrypt runs started for it`,
    );
    await scrypt.release();
    expect((await login).ok, 'the login while one address floods registrations').toBe(true);
    const answers = (await settled).map((r) => r.status === 'fulfilled' && r.value === '{"ok":true}');
    expect(answers.filter(Boolean).length, 'registrations that succeeded').toBe(3);
  });

  it('throttles registrations per address across new connections: 3 at once, then 1 s, 2 s, ... up to 10 minutes', async () => {
    const clock = manualClock();
    const registrationLimiter = new AttemptLimiter({ ...REGISTRATION_LIMITS, now: clock.now });
    const { port } = await startServer({ registrationLimiter });
    const scrypt = countScrypt();
    const register = async (user: string): Promise<string> =>
      JSON.stringify(await askOnce(port, { op: 'register', user, password: 'long enough' }));
    expect(await register('user1'), 'the 1st registration').toBe('{"ok":true}');
    expect(await register('user1'), "the 2nd: 'taken' counts too").toBe('{"ok":false,"error":"taken"}');
    expect(await register('user2'), 'the 3rd').toBe('{"ok":true}');
    const wait = '{"ok":false,"error":"try-later","retryAfterMs":1000}';
    expect(await register('user3'), 'the 4th, on a 4th connection').toBe(wait);
    expect(await register('user3'), 'the 5th, during the wait: a refusal is not charged').toBe(wait);
    expect(
      JSON.stringify(await askOnce(port, { op: 'register', user: 'Bad', password: 'long enough' })),
      'bad input during the wait: checked first, for free',
    ).toBe('{"ok":false,"error":"bad-username"}');
    expect(scrypt.count(), 'scrypt runs for those seven registrations').toBe(2);
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      const refused = JSON.parse(await register(`late${i}`)) as { retryAfterMs: number };
      waits.push(refused.retryAfterMs);
      clock.advance(refused.retryAfterMs);
      expect(await register(`late${i}`), `late${i} once the wait of ${refused.retryAfterMs} ms is over`).toBe(
        '{"ok":true}',
      );
    }
    expect(waits, 'the waits after registrations 3, 4, 5, ...').toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000, 600_000, 600_000,
    ]);
    expect(
      (await askOnce(port, { op: 'login', user: 'user1', password: 'long enough' })).ok,
      'a login meanwhile: registrations have their own count',
    ).toBe(true);
  });

  it('answers busy past maxHashesInFlight hashes, logins and registrations together, keeps the connection, and charges nothing', async () => {
    const { port } = await startServer({ maxHashesInFlight: 2 }, { alice: 'correct horse' });
    await askOnce(port, { op: 'login', user: 'alice', password: 'correct horse' }); // the dummy record is ready
    const scrypt = holdScrypt();
    const registering = askOnce(port, { op: 'register', user: 'bob', password: 'long enough' }, 20_000);
    const loggingIn = askOnce(port, { op: 'login', user: 'alice', password: 'wrong horse' }, 20_000);
    const both = Promise.allSettled([registering, loggingIn]); // so a failure here leaves no unhandled rejection
    await scrypt.until(
      () => scrypt.count() === 2,
      () => `a registration and a login at once: ${scrypt.count()} of them started a hash`,
    );
    const client = await kit.connect(port);
    const busy = '{"ok":false,"error":"busy"}';
    expect(await ask(client, { op: 'login', user: 'alice', password: 'wrong horse' }), 'a 3rd hash: a login').toBe(
      busy,
    );
    expect(await ask(client, { op: 'register', user: 'carol', password: 'long enough' }), 'a registration').toBe(busy);
    expect(scrypt.count(), 'scrypt runs: at most maxHashesInFlight (2) at once').toBe(2);
    await scrypt.release();
    const [registered, failed] = await both;
    expect(registered.status === 'fulfilled' && registered.value, 'the registration that hashed').toEqual({ ok: true });
    expect(failed.status === 'fulfilled' && failed.value, 'the login that hashed').toMatchObject({ attemptsLeft: 2 });
    // Neither busy reply was charged: one login failure so far, one registration.
    expect(
      await ask(client, { op: 'login', user: 'alice', password: 'wrong horse' }),
      'a wrong login on the same connection, now that there is room',
    ).toBe('{"ok":false,"error":"login-failed","attemptsLeft":1,"retryAfterMs":0}');
    for (const user of ['carol', 'dave']) {
      expect(await ask(client, { op: 'register', user, password: 'long enough' }), `registering ${user}`).toBe(
        '{"ok":true}',
      );
    }
  });

  it('lets exactly 4 of ten logins at once start a hash (the default), and answers the other six busy', async () => {
    const { port } = await startServer(
      { limiter: new AttemptLimiter({ freeFailures: 1e9 }) },
      { alice: 'correct horse' },
    );
    await askOnce(port, { op: 'login', user: 'alice', password: 'correct horse' }); // the dummy record is ready
    const scrypt = holdScrypt();
    const clients = await Promise.all(Array.from({ length: 10 }, () => kit.connect(port)));
    const replies: string[] = [];
    const logins = clients.map((client) =>
      ask(client, { op: 'login', user: 'alice', password: 'wrong horse' }, 20_000).then((reply) => {
        replies.push(reply);
        scrypt.bump();
        return reply;
      }),
    );
    const settled = Promise.allSettled(logins); // so a failure here leaves no unhandled rejection
    await scrypt.until(
      () => replies.length + scrypt.count() >= 10,
      () => `of ten logins at once, ${replies.length} were answered and ${scrypt.count()} hashing`,
    );
    expect(scrypt.count(), 'hashes started by ten logins at once').toBe(4);
    expect(replies, 'the replies to the six that found no room').toEqual(Array(6).fill('{"ok":false,"error":"busy"}'));
    await scrypt.release();
    const checked = (await settled).filter((r) => r.status === 'fulfilled' && r.value.includes('login-failed'));
    expect(checked.length, 'logins whose password was checked').toBe(4);
  });

  it('counts a hash until it ends, even when its client resets, then frees its place', async () => {
    const { port } = await startServer({ maxHashesInFlight: 1 }, { alice: 'correct horse' });
    await askOnce(port, { op: 'login', user: 'alice', password: 'correct horse' }); // the dummy record is ready
    const scrypt = holdScrypt();
    const leaver = await kit.connect(port);
    leaver.on('error', () => {});
    leaver.write(encodeMessage({ op: 'login', user: 'alice', password: 'correct horse' }));
    await scrypt.until(
      () => scrypt.count() === 1,
      () => 'a login never started its hash',
    );
    leaver.resetAndDestroy();
    expect(
      JSON.stringify(await askOnce(port, { op: 'login', user: 'alice', password: 'correct horse' })),
      "a login while the reset client's hash still runs on its thread",
    ).toBe('{"ok":false,"error":"busy"}');
    await scrypt.release();
    // One turn of the event loop: the server's code after the hash (all promise steps) has run by then.
    await new Promise((resolve) => setImmediate(resolve));
    expect(
      (await askOnce(port, { op: 'login', user: 'alice', password: 'correct horse' })).ok,
      'a login once that hash has ended',
    ).toBe(true);
  });

  it('frees the place of a hash that fails, and drops only that connection', async () => {
    const { port } = await startServer({ maxHashesInFlight: 1 });
    await askOnce(port, { op: 'whoami', token: 'x' });
    const real = crypto.scrypt;
    vi.spyOn(crypto, 'scrypt').mockImplementationOnce(((...args: unknown[]) => {
      const callback = args.at(-1) as (error: Error) => void;
      process.nextTick(callback, new Error('a simulated failure of scrypt'));
    }) as typeof real);
    syncBuiltinESMExports();
    const failing = await kit.connect(port);
    failing.on('error', () => {});
    failing.write(encodeMessage({ op: 'register', user: 'bob', password: 'long enough' }));
    const bytes = await readUntilEnd(failing, {
      ms: 5_000,
      message: 'your server kept a connection whose hash failed',
    });
    expect(bytes.length, 'bytes sent to the client whose hash failed').toBe(0);
    expect(
      JSON.stringify(await askOnce(port, { op: 'register', user: 'carol', password: 'long enough' })),
      'the next registration: its place was freed',
    ).toBe('{"ok":true}');
  });

  it('lets exactly one of two registrations racing for one name win', async () => {
    const { port } = await startServer();
    const [a, b] = await Promise.all([
      askOnce(port, { op: 'register', user: 'bob', password: 'password one' }),
      askOnce(port, { op: 'register', user: 'bob', password: 'password two' }),
    ]);
    const outcomes = [JSON.stringify(a), JSON.stringify(b)].sort();
    expect(outcomes, 'two registrations of "bob" at once').toEqual(['{"ok":false,"error":"taken"}', '{"ok":true}']);
  });
});

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The longest event-loop stall (ms) while `run` runs. */
async function loopDelayDuring(run: () => Promise<unknown>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  try {
    await run();
  } finally {
    histogram.disable();
  }
  return histogram.max / 1e6;
}
