// `npm run bench concurrency`: lesson 06's servers beside the tutorials' own
// ThreadingTCPServer, under the same load client, in one run.
//
// Servers (each in its own process, so the load client never shares their
// event loop):
//   - python3 bench/threading_server.py, backlog 5 (socketserver's default, as written);
//   - the same with the backlog raised to 1,024;
//   - lesson 06's event-loop server (solutions/06-*/hash-server.ts), one process;
//   - the same in node:cluster, one worker per core (solutions/06-*/cluster-server.ts).
// Load: N connections opened in one burst, each doing round trips of one
// line for a few seconds; round trips per second, p50 and p99 latency,
// and how long the burst took to connect. Then the same with one more
// client asking for HASH (100,000 PBKDF2 iterations) again and again.
// Last, libuv's thread pool: six PBKDF2 jobs started together.
import { type ChildProcess, spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { pbkdf2 } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../solutions/06-concurrent-servers/cluster-server.ts';
import { SHUTDOWN_MESSAGE } from '../lessons/06-concurrent-servers/cluster-worker.ts';
import { createHashServer } from '../solutions/06-concurrent-servers/hash-server.ts';

const ROLE_ENV = 'CONCURRENCY_BENCH_ROLE';
const HASH_ITERATIONS = 100_000;
const SECONDS = 2;
const thisFile = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));

// --- the server side, when this file runs as a server process -------------

function serveHashes(port: number): void {
  const server = createHashServer({ hashIterations: HASH_ITERATIONS });
  server.listen({ port, host: '127.0.0.1', backlog: 511 }, () => {
    const address = server.address();
    if (address && typeof address === 'object' && !cluster.isWorker) console.log(address.port);
  });
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  process.on('message', (message) => {
    if (message !== SHUTDOWN_MESSAGE) return;
    server.close(() => cluster.worker?.disconnect());
    for (const socket of open) socket.destroy(); // the load is over: nothing in flight matters
  });
}

if (cluster.isWorker) serveHashes(Number(process.env.PORT ?? 0));
else if (process.env[ROLE_ENV] === 'single') serveHashes(0);
else if (process.env[ROLE_ENV] === 'cluster') {
  const running = await startCluster({ workerFile: thisFile, workers: availableParallelism() });
  console.log(running.port);
  process.once('SIGTERM', () => void running.shutdown(2_000).then(() => process.exit(0)));
}

// --- the load client ------------------------------------------------------

/**
 * CPU time (ms) used so far by process `pid` and all its descendants, from
 * /proc (Linux; NaN elsewhere). On a shared machine the scheduler gives a
 * 100-thread Python server 100 shares and a one-thread Node server one, so
 * CPU per round trip compares the servers' own cost fairly.
 */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, in 1/100 s
    let children = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      let list: string[];
      try {
        list = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean);
      } catch {
        continue; // a thread that ended meanwhile (Python's come and go)
      }
      for (const child of list) {
        const ms = cpuMs(Number(child));
        if (!Number.isNaN(ms)) children += ms; // a child that ended meanwhile counts no more
      }
    }
    return ticks * 10 + children;
  } catch {
    return Number.NaN;
  }
}

interface LoadResult {
  connectMs: number;
  /** The server's CPU time per round trip, in microseconds (hash work included in the heavy run). */
  cpuUs: number;
  roundTrips: number;
  perSecond: number;
  p50: number;
  p99: number;
  hashes: number;
  failed: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** Opens `connections` at once, then each does line round trips for SECONDS; with `heavy`, one more asks for HASH. */
async function load(port: number, serverPid: number, connections: number, heavy: boolean): Promise<LoadResult> {
  const sockets: Socket[] = [];
  let failed = 0;
  const start = performance.now();
  for (let i = 0; i < connections + (heavy ? 1 : 0); i++) {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    socket.on('error', () => failed++);
    sockets.push(socket);
  }
  // Bounded: a connect that never completes counts as failed after 20 s.
  await Promise.all(
    sockets.map((s) =>
      Promise.race([once(s, 'connect').catch(() => {}), new Promise((r) => setTimeout(r, 20_000).unref())]),
    ),
  );
  const connectMs = performance.now() - start;

  const latencies: number[] = [];
  let hashes = 0;
  const cpuBefore = cpuMs(serverPid);
  const until = performance.now() + SECONDS * 1000;
  const loops = sockets.map(
    (socket, i) =>
      new Promise<void>((resolve) => {
        const isHeavy = heavy && i === connections;
        const request = Buffer.from(isHeavy ? `HASH secret ${i}\n` : `hello ${i}\n`);
        let sentAt = 0;
        let pending = 0;
        const next = (): void => {
          if (performance.now() >= until || socket.destroyed) return resolve();
          sentAt = performance.now();
          socket.write(request);
        };
        socket.on('data', (chunk: Buffer) => {
          for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) pending++;
          if (pending === 0) return;
          pending = 0;
          if (isHeavy) hashes++;
          else latencies.push(performance.now() - sentAt);
          next();
        });
        socket.once('close', () => resolve());
        next();
      }),
  );
  // A connection whose reply never comes (an overwhelmed server) must not
  // stall the benchmark: 5 s after the end, whatever is left is cut.
  const cutoff = setTimeout(
    () => {
      for (const s of sockets) s.destroy();
    },
    SECONDS * 1000 + 5_000,
  );
  await Promise.all(loops);
  clearTimeout(cutoff);
  const elapsed = (performance.now() - until + SECONDS * 1000) / 1000;
  const cpuUsed = cpuMs(serverPid) - cpuBefore;
  for (const s of sockets) s.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return {
    connectMs,
    cpuUs: (cpuUsed * 1000) / Math.max(latencies.length, 1),
    roundTrips: latencies.length,
    perSecond: latencies.length / elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    hashes,
    failed,
  };
}

// --- the servers under test -------------------------------------------------

interface Target {
  name: string;
  start(): ChildProcess;
}

const targets: Target[] = [
  {
    name: 'python ThreadingTCPServer, backlog 5',
    start: () =>
      spawn('python3', [fileURLToPath(new URL('threading_server.py', import.meta.url)), '5', `${HASH_ITERATIONS}`]),
  },
  {
    name: 'python ThreadingTCPServer, backlog 1024',
    start: () =>
      spawn('python3', [fileURLToPath(new URL('threading_server.py', import.meta.url)), '1024', `${HASH_ITERATIONS}`]),
  },
  {
    name: 'node event loop, one process',
    start: () =>
      spawn(process.execPath, ['--import', 'tsx', thisFile], {
        cwd: root,
        env: { ...process.env, [ROLE_ENV]: 'single' },
      }),
  },
  {
    name: `node cluster, ${availableParallelism()} workers`,
    start: () =>
      spawn(process.execPath, ['--import', 'tsx', thisFile], {
        cwd: root,
        env: { ...process.env, [ROLE_ENV]: 'cluster' },
      }),
  },
];

async function withServer<T>(target: Target, run: (port: number, pid: number) => Promise<T>): Promise<T> {
  const child = target.start();
  child.stderr?.pipe(process.stderr);
  try {
    const [line] = (await Promise.race([
      once(child.stdout!, 'data'),
      once(child, 'exit').then(() => {
        throw new Error(`${target.name} exited before listening`);
      }),
    ])) as [Buffer];
    return await run(Number(String(line).trim()), child.pid!);
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

const fmt = (ms: number): string => (Number.isNaN(ms) ? '-' : ms < 10 ? ms.toFixed(2) : ms.toFixed(0));

async function poolBench(): Promise<void> {
  console.log(`\nlibuv's thread pool (UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? 'unset: 4'}):`);
  console.log(`six pbkdf2 jobs of ${HASH_ITERATIONS * 3} iterations started together; when each finished (ms)`);
  const start = performance.now();
  const done = await Promise.all(
    Array.from(
      { length: 6 },
      () =>
        new Promise<number>((resolve, reject) =>
          pbkdf2('secret', 'salt', HASH_ITERATIONS * 3, 32, 'sha256', (error) =>
            error ? reject(error) : resolve(performance.now() - start),
          ),
        ),
    ),
  );
  console.log(`  ${done.map((ms) => ms.toFixed(0)).join(', ')}`);
}

export default async function bench(): Promise<void> {
  console.log(
    `each run: N connections opened in one burst, then ${SECONDS} s of one-line round trips per connection (the next sent when the reply is in);`,
  );
  console.log(`"+ heavy": one more client asks for HASH (${HASH_ITERATIONS} PBKDF2 iterations) in a loop`);
  const results = new Map<string, LoadResult>();
  console.log(
    `\n${'server'.padEnd(42)} ${'load'.padEnd(13)} ${'connect ms'.padStart(10)} ${'rt/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'cpu us/rt'.padStart(9)} ${'hashes'.padStart(6)} ${'errors'.padStart(6)}`,
  );
  for (const target of targets) {
    for (const [connections, heavy] of [
      [100, false],
      [1_000, false],
      [100, true],
    ] as const) {
      const label = `${connections}${heavy ? ' + heavy' : ''}`;
      const r = await withServer(target, (port, pid) => load(port, pid, connections, heavy));
      results.set(`${target.name}|${label}`, r);
      console.log(
        `${target.name.padEnd(42)} ${label.padEnd(13)} ${r.connectMs.toFixed(0).padStart(10)} ${r.perSecond.toFixed(0).padStart(8)} ${fmt(r.p50).padStart(7)} ${fmt(r.p99).padStart(7)} ${r.cpuUs.toFixed(0).padStart(9)} ${String(r.hashes).padStart(6)} ${String(r.failed).padStart(6)}`,
      );
    }
  }
  console.log(
    '\nratios against python with backlog 1024: round trips per second, and server CPU per round trip (python / node)',
  );
  for (const label of ['100', '1000', '100 + heavy']) {
    const base = results.get(`${targets[1]!.name}|${label}`)!;
    const line = targets
      .slice(2)
      .map((t) => {
        const r = results.get(`${t.name}|${label}`)!;
        return `${t.name}: ${(r.perSecond / base.perSecond).toFixed(2)}x rt/s, ${(base.cpuUs / r.cpuUs).toFixed(2)}x less CPU`;
      })
      .join('; ');
    console.log(`  ${label.padEnd(12)} ${line}`);
  }
  await poolBench();
}
