// Lesson 07: how many logins a second, and what they cost everyone else.
//
// Each run is a child process, because UV_THREADPOOL_SIZE (the libuv pool
// that crypto.scrypt runs on, 4 threads by default) is read once, when the
// pool starts. In each child: the reference login server with OWASP's
// parameters (scrypt N = 2^17, r = 8, p = 1), an echo server on the same
// event loop, a burst of logins, and an echo client that pings all through
// the burst. The same run does it again with a server that hashes with
// scryptSync: logins queue behind one another, and so does every echo.
//
// Run: npm run bench login
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scryptSync, timingSafeEqual } from 'node:crypto';
import { FrameDecoder } from '../lessons/07-login/frame.ts';
import { createLoginServer } from '../solutions/07-login/login-server.ts';
import { DEFAULT_PARAMS, hashPassword, parseRecord, scryptMaxmem } from '../solutions/07-login/password.ts';
import { encodeMessage } from '../lessons/07-login/protocol.ts';
import { AttemptLimiter } from '../solutions/07-login/throttle.ts';
import { UserStore } from '../solutions/07-login/user-store.ts';

const CHILD_ENV = 'WORKBOOK_LOGIN_BENCH';
const LOGINS = 8; // per burst, all sent at once on their own connections
const POOLS = [1, 2, 4, 8];

interface Job {
  mode: 'async' | 'sync';
  record: string;
}

interface Result {
  mode: string;
  pool: string;
  loginsPerSecond: number;
  burstMs: number;
  echoes: number;
  echoP50: number;
  echoP99: number;
  echoMax: number;
}

/** The scryptSync version: the same wire format, hashing on the event loop. A bench-only foil, never a model. */
function syncLoginServer(record: string): Server {
  const parsed = parseRecord(record)!;
  const options = {
    N: 2 ** parsed.params.ln,
    r: parsed.params.r,
    p: parsed.params.p,
    maxmem: scryptMaxmem(parsed.params),
  };
  return createServer((socket) => {
    socket.on('error', () => {});
    const decoder = new FrameDecoder(4096);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const { password } = JSON.parse(frame.toString()) as { password: string };
        const ok = timingSafeEqual(scryptSync(password.normalize('NFC'), parsed.salt, 32, options), parsed.hash);
        socket.write(encodeMessage(ok ? { ok: true } : { ok: false, error: 'bad-request' }));
      }
    });
  });
}

function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => (server.address() as AddressInfo).port);
}

async function oneLogin(port: number): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(encodeMessage({ op: 'login', user: 'alice', password: 'correct horse' }));
  const decoder = new FrameDecoder(4096);
  for await (const chunk of socket) {
    const [reply] = decoder.push(chunk as Buffer);
    if (reply) {
      if (!reply.toString().startsWith('{"ok":true')) throw new Error(`login failed: ${reply}`);
      break;
    }
  }
  socket.destroy();
}

/** Pings the echo server one byte at a time until `stop` resolves; returns each round trip in ms. */
async function pingUntil(port: number, stop: Promise<unknown>): Promise<number[]> {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.setNoDelay(true);
  const times: number[] = [];
  let done = false;
  void stop.then(() => (done = true));
  while (!done) {
    const start = performance.now();
    socket.write('x');
    await once(socket, 'data');
    times.push(performance.now() - start);
    await new Promise((resolve) => setTimeout(resolve, 5)); // about 200 pings a second, not a flood
  }
  socket.destroy();
  return times;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function child(job: Job): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wb07-bench-'));
  try {
    let server: Server;
    if (job.mode === 'async') {
      const store = await UserStore.open(join(dir, 'users.json'));
      await store.add('alice', { hash: job.record });
      // Every login of the burst must be hashed, so the bound on hashes in
      // flight (4, 'busy' past it) is lifted to the burst's size.
      server = createLoginServer({
        store,
        limiter: new AttemptLimiter({ freeFailures: 1e9 }),
        maxHashesInFlight: LOGINS,
      });
      await oneLogin(await listen(server)); // the dummy record is made, the pool is warm
    } else {
      server = syncLoginServer(job.record);
      await listen(server);
    }
    const port = (server.address() as AddressInfo).port;
    const echo = createServer((s) => s.on('error', () => {}).pipe(s));
    const echoPort = await listen(echo);
    const start = performance.now();
    const burst = Promise.all(Array.from({ length: LOGINS }, () => oneLogin(port)));
    const echoes = await pingUntil(echoPort, burst);
    await burst;
    const burstMs = performance.now() - start;
    const result: Result = {
      mode: job.mode === 'async' ? 'scrypt (async)' : 'scryptSync',
      pool: job.mode === 'async' ? (process.env.UV_THREADPOOL_SIZE ?? '4') : '-',
      loginsPerSecond: (LOGINS / burstMs) * 1000,
      burstMs,
      echoes: echoes.length,
      echoP50: percentile(echoes, 50),
      echoP99: percentile(echoes, 99),
      echoMax: Math.max(...echoes),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    server.close();
    echo.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runChild(job: Job, pool?: number): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_ENV]: JSON.stringify(job) };
  if (pool !== undefined) env.UV_THREADPOOL_SIZE = String(pool);
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: fileURLToPath(new URL('..', import.meta.url)), // where `--import tsx` resolves
  });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  const [code] = (await once(proc, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the benchmark child exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as Result;
}

export default async function main(): Promise<void> {
  const record = await hashPassword('correct horse', DEFAULT_PARAMS);
  console.log(
    `${LOGINS} logins at once, scrypt ln=${DEFAULT_PARAMS.ln} r=${DEFAULT_PARAMS.r} p=${DEFAULT_PARAMS.p}, one child process per row`,
  );
  console.log('an echo client pings the same process every 5 ms during the burst\n');
  console.log('hashing          pool  logins/s  burst ms  echo p50 ms  echo p99 ms  echo max ms  pings');
  const rows: Result[] = [];
  for (const pool of POOLS) rows.push(await runChild({ mode: 'async', record }, pool));
  rows.push(await runChild({ mode: 'sync', record }));
  for (const r of rows) {
    console.log(
      [
        r.mode.padEnd(15),
        r.pool.padStart(5),
        r.loginsPerSecond.toFixed(2).padStart(9),
        r.burstMs.toFixed(0).padStart(9),
        r.echoP50.toFixed(1).padStart(12),
        r.echoP99.toFixed(1).padStart(12),
        r.echoMax.toFixed(1).padStart(12),
        String(r.echoes).padStart(6),
      ].join(' '),
    );
  }
}

if (process.env[CHILD_ENV]) await child(JSON.parse(process.env[CHILD_ENV]) as Job);
