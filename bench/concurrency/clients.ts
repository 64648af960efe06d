// The load clients of `npm run bench concurrency`, and which one a run uses.
//
// The C client (load-client.c) is built with the machine's C compiler (`cc`,
// or $CC) into node_modules/.cache/workbook-bench/, again whenever its
// source changes, and runs once per load as a process of its own. The Node
// harness measures around it what it measures around the Node client: SYN
// drops across the connect burst, and the server's CPU time across the
// measured window (the client says on stdout when each starts and ends).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cpuMs, type LoadOptions, type LoadResult, listenOverflows, runLoad } from './load-client.ts';

export interface LoadClient {
  /** Which client: 'C' or 'Node'. */
  kind: string;
  /** Where it comes from, and why this one. */
  detail: string;
  run(options: LoadOptions): Promise<LoadResult>;
}

const source = fileURLToPath(new URL('load-client.c', import.meta.url));
const cacheDir = fileURLToPath(new URL('../../node_modules/.cache/workbook-bench/', import.meta.url));

/**
 * BENCH_CLIENT=node or =c picks the client; unset, the C one where Linux
 * and a C compiler are there, else the Node one.
 */
export function chooseLoadClient(wanted = process.env.BENCH_CLIENT): LoadClient {
  if (wanted !== undefined && wanted !== 'c' && wanted !== 'node')
    throw new Error(`BENCH_CLIENT must be "c" or "node", got "${wanted}"`);
  const node: LoadClient = {
    kind: 'Node',
    detail: 'bench/concurrency/load-client.ts, in the bench process',
    run: runLoad,
  };
  if (wanted === 'node') return node;
  const binary = buildCClient();
  if (binary)
    return {
      kind: 'C',
      detail: `bench/concurrency/load-client.c, built as ${relative(process.cwd(), binary)}`,
      run: (o) => runCLoad(binary, o),
    };
  if (wanted === 'c') throw new Error('BENCH_CLIENT=c, but there is no C compiler (cc, or $CC) or this is not Linux');
  return { ...node, detail: `${node.detail}; no C compiler or not Linux, so not the C one` };
}

/** The C client's path, built if its source changed; undefined without Linux or a C compiler. */
function buildCClient(): string | undefined {
  if (process.platform !== 'linux') return undefined; // it uses epoll
  const cc = process.env.CC ?? 'cc';
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const binary = join(cacheDir, `load-client-${hash}`);
  if (existsSync(binary)) return binary;
  if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).error) return undefined;
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`; // renamed once complete: never run half a binary
  const build = spawnSync(cc, ['-O2', '-std=c11', '-Wall', '-Wextra', '-o', partial, source], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`${cc} could not build ${source}:\n${build.stderr}${build.error ?? ''}`);
  renameSync(partial, binary);
  for (const old of readdirSync(cacheDir)) // builds of older sources
    if (old.startsWith('load-client-') && !old.endsWith('.tmp') && join(cacheDir, old) !== binary)
      rmSync(join(cacheDir, old), { force: true });
  return binary;
}

/** What the C client prints last; the harness adds the server's side. */
type CResult = Omit<LoadResult, 'listenOverflows' | 'serverCpuUs' | 'p50' | 'p99'> & {
  p50: number | null;
  p99: number | null;
};

async function runCLoad(binary: string, options: LoadOptions): Promise<LoadResult> {
  const overflowsBefore = listenOverflows();
  const args = [options.port, options.connections, options.heavy ? 1 : 0, options.warmupMs, options.measureMs];
  const child = spawn(binary, args.map(String), { stdio: ['ignore', 'pipe', 'pipe'] });
  const closed = once(child, 'close');
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  // Bounded: the client caps each of its own waits; this is in case it hangs all the same.
  const capMs = 20_000 + 20_000 + options.warmupMs + options.measureMs + 5_000 + 10_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), capMs);
  let overflows = Number.NaN;
  let serverBefore = Number.NaN;
  let serverUsed = Number.NaN;
  let last = '';
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      if (line === 'connected') overflows = listenOverflows() - overflowsBefore;
      else if (line === 'measuring') serverBefore = cpuMs(options.serverPid);
      else if (line === 'measured') serverUsed = cpuMs(options.serverPid) - serverBefore;
      else last = line;
    }
  } finally {
    await closed;
    clearTimeout(timer);
  }
  if (child.exitCode !== 0)
    throw new Error(`the C load client failed (${child.exitCode ?? child.signalCode}): ${stderr.trim() || last}`);
  const r = JSON.parse(last) as CResult;
  return {
    ...r,
    listenOverflows: overflows,
    p50: r.p50 ?? Number.NaN,
    p99: r.p99 ?? Number.NaN,
    serverCpuUs: (serverUsed * 1000) / Math.max(r.roundTrips + r.hashes, 1),
  };
}
