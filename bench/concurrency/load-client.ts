// The Node load client of `npm run bench concurrency`: N connections opened
// in one burst, then one-line round trips on each (the next request is sent
// when the reply is in), the same for every server. The bench runs the C
// client (load-client.c, the same method at about 40% less CPU per round
// trip) where it can be built, and this one otherwise or with
// BENCH_CLIENT=node.
//
// It shares the machine's cores with the server it measures, so it has to
// be cheap: a costly client caps every server alike and squeezes their
// ratios toward 1. So: plain 'data' callbacks, one clock read per reply,
// latencies in a preallocated array, and its own CPU time per round trip
// measured and printed beside the server's.
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

export interface LoadOptions {
  port: number;
  /** The server's process: its CPU time (and its children's) is measured from /proc. */
  serverPid: number;
  connections: number;
  /** One more client that asks for HASH in a loop (its replies are counted, not timed). */
  heavy: boolean;
  /**
   * Round trips before measuring starts, for at least this long and until
   * every connection has had a reply: JIT warm-up, and the burst settling
   * (a cluster's primary hands each connection to a worker first).
   */
  warmupMs: number;
  measureMs: number;
}

export interface LoadResult {
  connectMs: number;
  /** SYNs the kernel dropped because the accept queue was full, during the connect burst (machine-wide). */
  listenOverflows: number;
  roundTrips: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** CPU time per round trip, in microseconds (hash work included in a heavy run). */
  serverCpuUs: number;
  clientCpuUs: number;
  hashes: number;
  errors: number;
}

const NEWLINE = 0x0a;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { connections, heavy } = options;
  const sockets: Socket[] = [];
  let errors = 0;
  const overflowsBefore = listenOverflows();
  const start = performance.now();
  for (let i = 0; i < connections + (heavy ? 1 : 0); i++) {
    const socket = connect({ host: '127.0.0.1', port: options.port, noDelay: true });
    socket.on('error', () => errors++);
    sockets.push(socket);
  }
  // Bounded: a connect that never completes counts as an error after 20 s.
  await Promise.all(
    sockets.map((s) =>
      Promise.race([once(s, 'connect').catch(() => {}), new Promise((r) => setTimeout(r, 20_000).unref())]),
    ),
  );
  const connectMs = performance.now() - start;
  const overflows = listenOverflows() - overflowsBefore;

  const capacity = Math.ceil((options.measureMs / 1000) * 400_000);
  const latencies = new Float64Array(capacity);
  let timed = 0;
  let hashes = 0;
  let measuring = false;
  let stopping = false;
  let inFlight = 0;
  let allReplied: () => void = () => {};
  let silent = sockets.filter((s) => !s.destroyed).length; // connections without a reply yet
  let allAnswered: () => void = () => {};

  for (const [i, socket] of sockets.entries()) {
    if (socket.destroyed) continue;
    const isHeavy = heavy && i === connections;
    const request = Buffer.from(isHeavy ? `HASH secret ${i}\n` : `hello ${i}\n`);
    let sentAt = 0;
    let waiting = false;
    let answered = false;
    const replied = (): void => {
      if (!answered) {
        answered = true;
        if (--silent === 0) allAnswered();
      }
      waiting = false;
      inFlight--;
      if (stopping && inFlight === 0) allReplied();
    };
    const sendNext = (now: number): void => {
      if (stopping || socket.destroyed) return;
      sentAt = now;
      waiting = true;
      inFlight++;
      socket.write(request);
    };
    // One request at a time per connection: a chunk that ends in a
    // newline completes the reply.
    socket.on('data', (chunk: Buffer) => {
      if (chunk[chunk.length - 1] !== NEWLINE) return;
      const now = performance.now();
      if (measuring) {
        if (isHeavy) hashes++;
        else if (timed < capacity) latencies[timed++] = now - sentAt;
      }
      replied();
      sendNext(now);
    });
    socket.once('end', () => waiting && errors++); // the server closed with a request in flight
    socket.once('close', () => waiting && replied());
    sendNext(performance.now());
  }

  // Bounded: a connection that never answers stops waiting for it after 20 s.
  let cap: NodeJS.Timeout | undefined;
  const everyoneAnswered = new Promise<void>((resolve) => {
    allAnswered = resolve;
    if (silent === 0) resolve();
    cap = setTimeout(resolve, 20_000);
  });
  await Promise.all([sleep(options.warmupMs), everyoneAnswered]);
  clearTimeout(cap);
  const serverBefore = cpuMs(options.serverPid);
  const clientBefore = process.cpuUsage();
  const measureStart = performance.now();
  measuring = true;
  await sleep(options.measureMs);
  measuring = false;
  const elapsed = (performance.now() - measureStart) / 1000;
  const serverUsed = cpuMs(options.serverPid) - serverBefore;
  const clientUsed = process.cpuUsage(clientBefore);
  const roundTrips = timed;

  // Stop sending; wait (bounded: 5 s) for the replies in flight, then close.
  stopping = true;
  if (inFlight > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((r) => (allReplied = r)),
      new Promise<void>((r) => (timer = setTimeout(r, 5_000))),
    ]);
    clearTimeout(timer);
  }
  for (const s of sockets) s.destroy();
  const sorted = latencies.subarray(0, timed).sort();
  const perRoundTrip = Math.max(roundTrips + hashes, 1);
  return {
    connectMs,
    listenOverflows: overflows,
    roundTrips,
    perSecond: roundTrips / elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    serverCpuUs: (serverUsed * 1000) / perRoundTrip,
    clientCpuUs: (clientUsed.user + clientUsed.system) / perRoundTrip,
    hashes,
    errors,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/**
 * CPU time (ms) used so far by process `pid` and all its descendants, from
 * /proc (Linux; NaN elsewhere). On a shared machine the scheduler gives a
 * 1,000-thread Python server 1,000 shares and a one-thread Node server one,
 * so CPU per round trip compares the servers' own cost more fairly than
 * round trips per second.
 */
export function cpuMs(pid: number): number {
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

/**
 * The kernel's count of SYNs dropped because an accept queue was full
 * (TcpExt ListenOverflows in /proc/net/netstat; NaN where unreadable). It
 * counts every listener on the machine: on a quiet machine, ours.
 */
export function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const names = lines[at]!.split(' ');
    const values = lines[at + 1]!.split(' ');
    return Number(values[names.indexOf('ListenOverflows')]);
  } catch {
    return Number.NaN;
  }
}
