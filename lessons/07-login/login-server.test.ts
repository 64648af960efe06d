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
import { type Reply, type Request, encodeMessage } from './protocol.ts';
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

afterEach(() => {
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
