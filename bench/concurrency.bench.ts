// `npm run bench concurrency`: lesson 06's servers beside the tutorials' own
// ThreadingTCPServer, under the same load client, in one run.
//
// Servers, each in a process of its own (bench/concurrency/server-process.ts):
//   - python3 bench/threading_server.py, backlog 5 (socketserver's default, as written);
//   - the same with the backlog raised to 1,024;
//   - the same protocol written both ways: task 3's reference ('data'
//     callbacks), and task 1's for-await loop over readLines() without its
//     queue (the style of tasks 4, 6 and 7);
//   - task 4's reference (the for-await loop, HASH on libuv's pool);
//   - task 3's with Node's default backlog, 511, to show the SYN retries;
//   - task 3's in node:cluster, one worker per core (task 7's startCluster).
// Every Node server listens with backlog 1,024 unless the row says 511.
// Load: N connections in one burst, a warm-up, then one-line round trips
// measured for a few seconds; then the same with one more client asking for
// HASH (100,000 PBKDF2 iterations) again and again. Last, libuv's thread
// pool: six PBKDF2 jobs at once.
//
// The load client is the same for every server in a run. By default it is
// bench/concurrency/load-client.c, a wrk-like client built with `cc -O2`
// (cached in node_modules/.cache/workbook-bench/) where Linux and a C
// compiler are there; else, or with BENCH_CLIENT=node, the Node one,
// bench/concurrency/load-client.ts, which documents the method. The
// client shares the cores with the server, and a reply's latency includes
// the client's own time to get to it, so a cheaper client lets the server
// show more of what it can do. BENCH_CLIENT=c insists on the C client.
import { type ChildProcess, spawn } from 'node:child_process';
import { pbkdf2 } from 'node:crypto';
import { once } from 'node:events';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chooseLoadClient } from './concurrency/clients.ts';
import type { LoadResult } from './concurrency/load-client.ts';
import { HASH_ITERATIONS, type Style } from './concurrency/server-process.ts';

const WARMUP_MS = 500;
const MEASURE_MS = 2_000;
const RAISED_BACKLOG = 1024;
/** The issue's aim, for task 3's server against Python with the raised backlog, at 1,000 connections. */
const GOAL = { connections: 1_000, ratio: 2.5, p99Ms: 50 };
const root = fileURLToPath(new URL('..', import.meta.url));
const serverProcess = fileURLToPath(new URL('concurrency/server-process.ts', import.meta.url));
const threadingServer = fileURLToPath(new URL('threading_server.py', import.meta.url));

interface Target {
  name: string;
  /** Which runs: plain round trips at these connection counts, and the heavy run or not. */
  plain: number[];
  heavy: boolean;
  start(): ChildProcess;
}

const python = (backlog: number): Target => ({
  name: `python ThreadingTCPServer, backlog ${backlog}`,
  plain: [100, 1_000],
  heavy: true,
  start: () => spawn('python3', [threadingServer, String(backlog), String(HASH_ITERATIONS)]),
});

const node = (
  name: string,
  style: Style,
  plain: number[],
  heavy: boolean,
  env: Record<string, string> = {},
): Target => ({
  name,
  plain,
  heavy,
  start: () =>
    spawn(process.execPath, ['--import', 'tsx', serverProcess], {
      cwd: root,
      env: { ...process.env, BENCH_SERVER: style, BENCH_BACKLOG: String(RAISED_BACKLOG), ...env },
    }),
});

const PYTHON = python(RAISED_BACKLOG);
const TASK3 = node("node task 3: 'data' callbacks", 'callbacks', [100, 1_000], false);
const targets: Target[] = [
  python(5),
  PYTHON,
  TASK3,
  node('node for await readLines()', 'for-await', [100, 1_000], false),
  node('node task 4: for await + HASH', 'hash', [100, 1_000], true),
  node('node task 3, backlog 511 (default)', 'callbacks', [1_000], false, { BENCH_BACKLOG: '511' }),
  node(`node task 3, cluster of ${availableParallelism()}`, 'callbacks', [100, 1_000], false, {
    BENCH_WORKERS: String(availableParallelism()),
  }),
];

async function withServer<T>(target: Target, run: (port: number, pid: number) => Promise<T>): Promise<T> {
  const child = target.start();
  child.stderr?.pipe(process.stderr);
  const exited = once(child, 'exit');
  try {
    const [line] = (await Promise.race([
      once(child.stdout!, 'data'),
      exited.then(() => {
        throw new Error(`${target.name} exited before listening`);
      }),
    ])) as [Buffer];
    return await run(Number(String(line).trim()), child.pid!);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

const ms = (v: number): string => (Number.isNaN(v) ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(0));
const columns = [
  ['server', 36],
  ['conns', 11],
  ['connect ms', 10],
  ['SYN drops', 9],
  ['rt/s', 7],
  ['p50 ms', 7],
  ['p99 ms', 7],
  ['server us/rt', 12],
  ['client us/rt', 12],
  ['hashes', 6],
  ['errors', 6],
  ['load', 5],
] as const;

function row(cells: string[]): string {
  return cells.map((c, i) => (i < 2 ? c.padEnd(columns[i]![1]) : c.padStart(columns[i]![1]))).join(' ');
}

function printResult(name: string, label: string, r: LoadResult): void {
  console.log(
    row([
      name,
      label,
      r.connectMs.toFixed(0),
      Number.isNaN(r.listenOverflows) ? '-' : String(r.listenOverflows),
      r.perSecond.toFixed(0),
      ms(r.p50),
      ms(r.p99),
      r.serverCpuUs.toFixed(1),
      r.clientCpuUs.toFixed(1),
      String(r.hashes),
      String(r.errors),
      loadavg()[0]!.toFixed(1),
    ]),
  );
}

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
  console.log(`  ${done.map((t) => t.toFixed(0)).join(', ')}`);
}

function printGoals(results: Map<string, LoadResult>, client: string): void {
  const at = (t: Target, label: string): LoadResult | undefined => results.get(`${t.name}|${label}`);
  console.log(
    '\nagainst python with backlog 1024 (same load client, same run): round trips per second, and server CPU per round trip (python / node)',
  );
  for (const label of ['100', '1000', '100 + heavy']) {
    const base = at(PYTHON, label);
    if (!base) continue;
    console.log(`  ${label}:`);
    for (const t of targets.filter((t) => t.name.startsWith('node'))) {
      const r = at(t, label);
      if (r)
        console.log(
          `    ${t.name.padEnd(36)} ${(r.perSecond / base.perSecond).toFixed(2)}x rt/s, ${(base.serverCpuUs / r.serverCpuUs).toFixed(2)}x less CPU`,
        );
    }
  }
  const base = at(PYTHON, String(GOAL.connections));
  const ours = at(TASK3, String(GOAL.connections));
  if (!base || !ours) return;
  const ratio = ours.perSecond / base.perSecond;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  console.log(`\ngoals, at ${GOAL.connections} connections (task 3's server against python, backlog 1024):`);
  const load = loadavg()[0]!;
  if (load > availableParallelism())
    console.log(
      `  (load ${load.toFixed(1)} on ${availableParallelism()} cores: other work shares the cores, so the rt/s figures say little; CPU per round trip says more)`,
    );
  console.log(
    `  round trips per second >= ${GOAL.ratio}x python: ${ratio.toFixed(2)}x (${ours.perSecond.toFixed(0)} against ${base.perSecond.toFixed(0)}): ${verdict(ratio >= GOAL.ratio)}`,
  );
  console.log(`  p99 latency < ${GOAL.p99Ms} ms: ${ms(ours.p99)} ms: ${verdict(ours.p99 < GOAL.p99Ms)}`);
  console.log(
    `  (server CPU per round trip: ${ours.serverCpuUs.toFixed(1)} us against python's ${base.serverCpuUs.toFixed(1)}; the load client's own (${client}): ${ours.clientCpuUs.toFixed(1)} us; both share ${availableParallelism()} cores)`,
  );
}

export default async function bench(): Promise<void> {
  const client = chooseLoadClient();
  console.log(`load client: ${client.kind} (${client.detail}; BENCH_CLIENT=node or =c picks one)`);
  console.log(
    `each run: N connections opened in one burst, ${WARMUP_MS} ms of warm-up, then ${MEASURE_MS / 1000} s of one-line round trips per connection, measured (the next request is sent when the reply is in);`,
  );
  console.log(`"+ heavy": one more client asks for HASH (${HASH_ITERATIONS} PBKDF2 iterations) in a loop.`);
  console.log(
    `Every node server listens with backlog ${RAISED_BACKLOG}, like python's raised one, unless its row says 511 (Node's default).`,
  );
  console.log(
    'SYN drops: SYNs the kernel dropped during the connect burst because the accept queue was full (/proc/net/netstat ListenOverflows, machine-wide); each waits 1 s for its retry.',
  );
  console.log(
    'us/rt: CPU time per round trip (user + system, all threads and child processes; hashes included in a heavy run); load: 1-minute load average after the run, this bench included (so is every thread of python).\n',
  );
  console.log(row(columns.map(([name]) => name)));
  const results = new Map<string, LoadResult>();
  // Loads outside, servers inside: the runs compared with each other are
  // close in time, so a change in the machine's load hits them alike.
  const runs: Array<[number, boolean]> = [
    [100, false],
    [1_000, false],
    [100, true],
  ];
  for (const [connections, heavy] of runs) {
    const label = `${connections}${heavy ? ' + heavy' : ''}`;
    for (const target of targets) {
      if (heavy ? !target.heavy : !target.plain.includes(connections)) continue;
      const r = await withServer(target, (port, serverPid) =>
        client.run({ port, serverPid, connections, heavy, warmupMs: WARMUP_MS, measureMs: MEASURE_MS }),
      );
      results.set(`${target.name}|${label}`, r);
      printResult(target.name, label, r);
    }
  }
  printGoals(results, `the ${client.kind} client`);
  await poolBench();
}
