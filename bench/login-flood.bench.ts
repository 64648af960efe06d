// Lesson 07: what a flood of registrations from one address costs a real
// user's login.
//
// One address (64 connections from a child process, each sending a
// registration with a new name as soon as the last one is answered,
// whatever the answer) floods the login server, while a real user logs in
// again and again on another connection. The same run first measures the
// user's login on the idle server, so the figures are ratios. Two servers,
// interleaved: the reference (registrations charged per address, at most 4
// hashes in flight) and the same code with both limits lifted, which is
// what the server did before they were added.
//
// Run: npm run bench login-flood
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, type Socket, connect } from 'node:net';
import { loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FrameDecoder } from '../lessons/07-login/frame.ts';
import { type Reply, type Request, encodeMessage } from '../lessons/07-login/protocol.ts';
import { createLoginServer } from '../solutions/07-login/login-server.ts';
import { type ScryptParams, hashPassword } from '../solutions/07-login/password.ts';
import { AttemptLimiter } from '../solutions/07-login/throttle.ts';
import { UserStore } from '../solutions/07-login/user-store.ts';
import { median } from './context.ts';

// Cheaper than OWASP's 2^17 so that the unlimited server's queue drains in
// seconds; the ratio, not the hash's cost, is what this measures.
const PARAMS: ScryptParams = { ln: 14, r: 8, p: 1 };
const FLOODERS = 64;
const CHILD_ENV = 'WORKBOOK_LOGIN_FLOOD_PORT';
const IDLE_LOGINS = 7;
const FLOOD_MS = 4_000; // the user logs in again and again for this long under the flood
const ROUNDS = 2;
const AIM = 2; // the reference: a login under the flood within 2x of idle

type Variant = 'reference' | 'unlimited';

interface Phase {
  loginMs: number[];
  busyRetries: number;
}

/** One connection that asks and reads replies in order. */
async function open(port: number): Promise<{ ask: (request: Request) => Promise<Reply>; close: () => void }> {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.on('error', () => {});
  const decoder = new FrameDecoder(4096);
  const waiting: Array<{ resolve: (reply: Reply) => void; reject: (error: Error) => void }> = [];
  socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) waiting.shift()?.resolve(JSON.parse(frame.toString()) as Reply);
  });
  socket.on('close', () => {
    for (const { reject } of waiting.splice(0)) reject(new Error('the server closed the connection'));
  });
  const ask = (request: Request): Promise<Reply> =>
    new Promise<Reply>((resolve, reject) => {
      waiting.push({ resolve, reject });
      socket.write(encodeMessage(request));
    });
  return { ask, close: () => socket.destroy() };
}

/**
 * The real user: logins one after another, `count` of them, or for `ms` if
 * given (at least 3). A `busy` reply is retried at once, and counted.
 */
async function userLogins(port: number, count: number, ms = 0): Promise<Phase> {
  const { ask, close } = await open(port);
  const phase: Phase = { loginMs: [], busyRetries: 0 };
  const until = performance.now() + ms;
  while (phase.loginMs.length < count || performance.now() < until) {
    const start = performance.now();
    for (;;) {
      const reply = await ask({ op: 'login', user: 'alice', password: 'correct horse' });
      if (reply.ok) break;
      if (reply.error !== 'busy') throw new Error(`the user's login failed: ${JSON.stringify(reply)}`);
      phase.busyRetries += 1;
    }
    phase.loginMs.push(performance.now() - start);
  }
  close();
  return phase;
}

/**
 * The child: `FLOODERS` connections, each sending registrations with new
 * names back to back until stdin closes; then prints how each was answered.
 */
async function floodChild(port: number): Promise<void> {
  const stop = { done: false };
  process.stdin.on('end', () => (stop.done = true)).resume();
  const counts: Record<string, number> = {};
  const connections = await Promise.all(Array.from({ length: FLOODERS }, () => open(port)));
  process.stdout.write('ready\n');
  await Promise.all(
    connections.map(async ({ ask, close }, id) => {
      for (let i = 0; !stop.done; i++) {
        const reply = await ask({ op: 'register', user: `flood${id}x${i}`, password: 'long enough' });
        const kind = reply.ok ? 'hashed' : reply.error;
        counts[kind] = (counts[kind] ?? 0) + 1;
      }
      close();
    }),
  );
  process.stdout.write(`${JSON.stringify(counts)}\n`);
}

/** Starts the flooding child; resolves once its connections are open, with a function that stops it. */
async function startFlood(port: number): Promise<() => Promise<Record<string, number>>> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, [CHILD_ENV]: String(port) },
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: fileURLToPath(new URL('..', import.meta.url)), // where `--import tsx` resolves
  });
  // An attacker's own CPU is on another machine. Here it shares ours: at the
  // lowest priority, its work slows the server's threads as little as it can.
  if (child.pid !== undefined) setPriority(child.pid, 19);
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the flooding child exited early with ${code}`)));
    child.stdout.on('data', (text: string) => {
      out += text;
      if (out.includes('ready\n')) resolve();
    });
  });
  return async () => {
    child.removeAllListeners('exit');
    const exited = once(child, 'exit');
    child.stdin.end();
    await exited;
    return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
  };
}

async function measure(
  variant: Variant,
  record: string,
): Promise<{ idle: Phase; flooded: Phase; counts: Record<string, number>; cpuMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'wb07-flood-'));
  const store = await UserStore.open(join(dir, 'users.json'));
  await store.add('alice', { hash: record });
  const lifted =
    variant === 'unlimited'
      ? {
          registrationLimiter: new AttemptLimiter({ freeFailures: Number.MAX_SAFE_INTEGER }),
          maxHashesInFlight: Infinity,
        }
      : {};
  const server = createLoginServer({ store, params: PARAMS, maxConnections: 1024, ...lifted });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  try {
    await userLogins(port, 1); // warm up: the dummy record is made, the pool has started
    const idle = await userLogins(port, IDLE_LOGINS);
    const stopFlood = await startFlood(port);
    const cpu = process.cpuUsage(); // the server's process, its pool threads included
    const flooded = await userLogins(port, 3, FLOOD_MS);
    const cpuMs = (() => {
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / 1000;
    })();
    const counts = await stopFlood(); // each connection finishes the registration it has in flight
    return { idle, flooded, counts, cpuMs };
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export default async function main(): Promise<void> {
  const record = await hashPassword('correct horse', PARAMS);
  console.log(`scrypt ln=${PARAMS.ln} r=${PARAMS.r} p=${PARAMS.p}; one address (a child process) floods registrations`);
  console.log(
    `on ${FLOODERS} connections for ${FLOOD_MS / 1000} s while a real user logs in again and again; idle baseline first\n`,
  );
  console.log(
    'server     round  idle p50  flood p50  flood max  p50 ratio  server CPU  hashed  try-later  busy (flood / user)',
  );
  const ratios: Record<Variant, number[]> = { reference: [], unlimited: [] };
  const hashed: Record<Variant, number[]> = { reference: [], unlimited: [] };
  const worstMs: Record<Variant, number[]> = { reference: [], unlimited: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const variant of ['unlimited', 'reference'] as const) {
      const { idle, flooded, counts, cpuMs } = await measure(variant, record);
      const ratio = median(flooded.loginMs) / median(idle.loginMs);
      ratios[variant].push(ratio);
      hashed[variant].push(counts.hashed ?? 0);
      worstMs[variant].push(Math.max(...flooded.loginMs));
      const ms = (value: number, width: number): string => `${value.toFixed(0)} ms`.padStart(width);
      console.log(
        [
          variant.padEnd(10),
          String(round).padStart(5),
          ms(median(idle.loginMs), 9),
          ms(median(flooded.loginMs), 10),
          ms(Math.max(...flooded.loginMs), 10),
          `${ratio.toFixed(1)}x`.padStart(10),
          ms(cpuMs, 11),
          String(counts.hashed ?? 0).padStart(7),
          String(counts['try-later'] ?? 0).padStart(10),
          `${counts.busy ?? 0} / ${flooded.busyRetries}`.padStart(20),
        ].join(' '),
      );
    }
  }
  const worst = Math.max(...ratios.reference);
  console.log(
    `\naim: the reference hashes at most 3 + 2 of the flood's registrations in ${FLOOD_MS / 1000} s (3 at once, then after 1 s and 3 s): ${Math.max(...hashed.reference) <= 5 ? 'met' : 'NOT met'} (${hashed.reference.join(', ')}; without the limits: ${hashed.unlimited.join(', ')})`,
  );
  console.log(
    `aim: the reference's median login under the flood within ${AIM}x of idle (worst round ${worst.toFixed(2)}x): ${worst <= AIM ? 'met' : 'NOT met'}; without the limits: ${median(ratios.unlimited).toFixed(1)}x`,
  );
  const worstRatio = Math.max(...worstMs.reference) / Math.min(...worstMs.unlimited);
  console.log(
    `aim: the reference's slowest login under the flood at most 1/4 of the slowest without the limits (${worstRatio.toFixed(2)}): ${worstRatio <= 0.25 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

if (process.env[CHILD_ENV]) await floodChild(Number(process.env[CHILD_ENV]));
