// Lesson 04: how fast the reference file transfer moves a 1 GiB file over
// loopback, and how much memory it needs, beside baselines measured in the
// same run:
// - a bare pipeline: file -> socket -> file, no header, no hash, no checks;
// - the same with an fsync at the end (the reference fsyncs before commit);
// - "hashed": the bare pipeline doing the protocol's hashing and fsync, with
//   the reference's buffer sizes: the sender hashes the whole file first
//   (its header needs the SHA-256), the receiver hashes every byte as it
//   writes it, then fsyncs. What the reference adds beyond that is the
//   protocol itself: framing, checks, temp file, link;
// - cp.
// Sender and receiver run in child processes of their own (as they would
// on two machines), so each gets a core and its own peak RSS.
//
//   npm run bench file-transfer
//   FILE_TRANSFER_BENCH_MIB=256 npm run bench file-transfer   (a smaller file, on a busy machine)
//   WORKBOOK_TARGET=lessons npm run bench file-transfer    (your own solution)
import { type ChildProcess, execFile, fork } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, statfs } from 'node:fs/promises';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { TARGET_ENV, resolveTargetDir } from '../runner/target.ts';
import { median } from './context.ts';

const MiB = 1024 * 1024;
const FULL_SIZE = Number(process.env.FILE_TRANSFER_BENCH_MIB ?? 1024) * MiB;
/** The reference's buffer sizes (send-file.ts CHUNK_BYTES, receiver.ts WRITE_BUFFER_BYTES), used by "hashed" too. */
const REFERENCE_READ = 256 * 1024;
const REFERENCE_WRITE = 1024 * 1024;
const ROUNDS = 3;
const SWEEP_BYTES = 128 * MiB;
const SWEEP_READ = [64 * 1024, 256 * 1024, 1024 * 1024];
const SWEEP_WRITE = [16 * 1024, 1024 * 1024];
/** Stop starting new rounds after this long, to stay near the 2-minute budget. */
const BUDGET_MS = 85_000;
const CHILD = '--file-transfer-bench-child';
const here = fileURLToPath(import.meta.url);
/** The code under test: the reference solution, or WORKBOOK_TARGET (`lessons`, or a submission) to measure your own. */
const targetDir = join(resolveTargetDir(process.env[TARGET_ENV] ?? 'solutions'), '04-file-transfer');
const codeUnderTest = pathToFileURL(`${targetDir}/`);

type Kind = 'bare' | 'bare+fsync' | 'hashed' | 'reference';
interface Done {
  type: 'done';
  /** Highest RSS sampled during the transfer, minus the RSS just before it (bytes). */
  growth: number;
  /** process.resourceUsage().maxRSS (whole life of the process), in bytes. */
  maxRss: number;
  /** CPU time (user + system) spent from 'go' to done, in ms. */
  cpuMs: number;
  /** (Senders) ms from 'go' to the first byte written: the reference's hash pass. */
  firstWriteMs?: number;
  ok: boolean;
  detail?: string;
}
interface Side {
  growth: number[];
  maxRss: number[];
  cpu: number[];
}
interface Stats {
  sender: Side;
  receiver: Side;
  /** Wall time minus the time before the first byte was sent (the reference's hash pass), ms. */
  sending: number[];
}
const newStats = (): Stats => ({
  sender: { growth: [], maxRss: [], cpu: [] },
  receiver: { growth: [], maxRss: [], cpu: [] },
  sending: [],
});

if (process.argv[2] === CHILD) await child(process.argv.slice(3));

export default async function run(): Promise<void> {
  const started = performance.now();
  const area = await mkdtemp(join(tmpdir(), 'wb04-bench-'));
  // Ctrl-C must not leave a 1 GiB file behind in the temp folder.
  const onSignal = (): void => {
    rmSync(area, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  try {
    const size = await chooseSize(area);
    if (size === 0) return;
    const src = join(area, 'source.bin');
    await makeFile(src, size);
    const mib = size / MiB;

    const times: Record<Kind | 'cp', number[]> = { cp: [], bare: [], 'bare+fsync': [], hashed: [], reference: [] };
    const stats: Record<Kind, Stats> = {
      bare: newStats(),
      'bare+fsync': newStats(),
      hashed: newStats(),
      reference: newStats(),
    };
    const ratios: number[] = [];
    const ratiosFsync: number[] = [];
    const ratiosHashed: number[] = [];
    const order: Array<Kind | 'cp'> = ['bare', 'reference', 'hashed', 'bare+fsync', 'cp'];
    for (let round = 1; round <= ROUNDS; round++) {
      if (round > 1 && performance.now() - started > BUDGET_MS) {
        console.log(`(stopped after ${round - 1} rounds to stay within the time budget)`);
        break;
      }
      const line: string[] = [];
      const these: Partial<Record<Kind | 'cp', number>> = {};
      // Rotate the order each round, so that no variant always runs first (or last) on a warm cache.
      for (const kind of [...order.slice(round - 1), ...order.slice(0, round - 1)]) {
        const ms =
          kind === 'cp' ? await runCp(src, join(area, 'cp-copy.bin')) : await runTransfer(kind, area, src, stats[kind]);
        if (ms === null) continue;
        times[kind].push(ms);
        these[kind] = ms;
        line.push(`${kind} ${(ms / 1000).toFixed(2)} s (${(mib / (ms / 1000)).toFixed(0)} MiB/s)`);
      }
      if (these.bare && these.reference) ratios.push(these.bare / these.reference);
      if (these['bare+fsync'] && these.reference) ratiosFsync.push(these['bare+fsync'] / these.reference);
      if (these.hashed && these.reference) ratiosHashed.push(these.hashed / these.reference);
      console.log(`round ${round}: ${line.join(' | ')}`);
    }

    const rate = (list: number[]): string =>
      list.length ? `${(mib / (median(list) / 1000)).toFixed(0)} MiB/s` : 'n/a';
    console.log(
      `median throughput: reference ${rate(times.reference)}, bare pipeline ${rate(times.bare)}, bare + fsync ${rate(times['bare+fsync'])}, hashed ${rate(times.hashed)}, cp ${rate(times.cp)}`,
    );
    console.log(
      `reference / hashed (bare pipeline + the same SHA-256 on both sides + fsync): ${median(ratiosHashed).toFixed(2)}x (aim: at least 0.9x); ` +
        `reference / bare pipeline: ${median(ratios).toFixed(2)}x; reference / (bare + fsync): ${median(ratiosFsync).toFixed(2)}x ` +
        '(each the median of per-round ratios)',
    );
    const sending = median(stats.reference.sending);
    console.log(
      `without the sender's hash pass (first byte sent to verdict): reference ${rate(stats.reference.sending)}, ` +
        `${(median(stats.bare.sending) / sending).toFixed(2)}x the bare pipeline, ${(median(stats['bare+fsync'].sending) / sending).toFixed(2)}x bare + fsync, ` +
        `${(median(stats.hashed.sending) / sending).toFixed(2)}x hashed; ` +
        `the hash pass took ${(median(stats.reference.sending.map((x, i) => times.reference[i]! - x)) / 1000).toFixed(2)} s`,
    );
    const cpu = (st: Stats, side: 'sender' | 'receiver'): string =>
      `${(((median(st[side].cpu) / mib) * 1024) / 1000).toFixed(2)}`;
    console.log(
      `CPU seconds per GiB (median; steadier than wall time on a busy machine): ` +
        (['reference', 'hashed', 'bare', 'bare+fsync'] as const)
          .map((k) => `${k}: sender ${cpu(stats[k], 'sender')}, receiver ${cpu(stats[k], 'receiver')}`)
          .join('; '),
    );
    const bothCpu = (k: Kind): number => median(stats[k].sender.cpu) + median(stats[k].receiver.cpu);
    console.log(
      `CPU, sender + receiver: hashed / reference ${(bothCpu('hashed') / bothCpu('reference')).toFixed(2)}x, ` +
        `bare / reference ${(bothCpu('bare') / bothCpu('reference')).toFixed(2)}x (1.00x: the reference costs no more CPU)`,
    );
    const worst = (list: number[]): string => `${(Math.max(...list) / MiB).toFixed(1)} MiB`;
    console.log(
      `peak RSS growth during a transfer (sampled every 10 ms, worst run): ` +
        `reference sender ${worst(stats.reference.sender.growth)}, receiver ${worst(stats.reference.receiver.growth)} (aim: under 64 MiB); ` +
        `bare pipeline sender ${worst(stats.bare.sender.growth)}, receiver ${worst(stats.bare.receiver.growth)}`,
    );
    console.log(
      `maxRSS of the whole child process: reference sender ${worst(stats.reference.sender.maxRss)}, receiver ${worst(stats.reference.receiver.maxRss)}`,
    );

    await sweep(area, src, Math.min(size, SWEEP_BYTES));
  } finally {
    process.off('SIGINT', onSignal);
    await rm(area, { recursive: true, force: true });
  }
}

/** The file size to use: 1 GiB, or less (with a note) when the disk cannot hold two copies and a margin. */
async function chooseSize(area: string): Promise<number> {
  const fs = await statfs(area);
  const free = fs.bavail * fs.bsize;
  const margin = 256 * MiB;
  let size = FULL_SIZE;
  while (size > 64 * MiB && 2 * size + margin > free) size /= 2;
  if (2 * size + margin > free) {
    console.log(
      `not enough free space in ${tmpdir()} (${(free / MiB).toFixed(0)} MiB) even for 64 MiB: benchmark skipped`,
    );
    return 0;
  }
  if (size < FULL_SIZE) {
    console.log(
      `NOTE: only ${(free / MiB).toFixed(0)} MiB free in ${tmpdir()}: using a ${size / MiB} MiB file instead of 1 GiB`,
    );
  }
  console.log(
    `file: ${size / MiB} MiB of random bytes in ${area} (${(free / 2 ** 30).toFixed(1)} GiB free); code measured: ${targetDir}`,
  );
  return size;
}

async function makeFile(path: string, size: number): Promise<void> {
  const block = randomFillSync(Buffer.alloc(16 * MiB));
  const file = await open(path, 'w');
  try {
    for (let written = 0; written < size; written += block.length)
      await file.write(block, 0, Math.min(block.length, size - written));
  } finally {
    await file.close();
  }
}

async function runCp(src: string, dst: string): Promise<number | null> {
  if (process.platform === 'win32') return null;
  const start = performance.now();
  await promisify(execFile)('cp', [src, dst]);
  const ms = performance.now() - start;
  await rm(dst, { force: true });
  return ms;
}

/** One transfer between two child processes; returns its wall time in ms and records its figures in `stats`. */
async function runTransfer(
  kind: Kind,
  area: string,
  src: string,
  stats: Stats,
  {
    bytes = 0,
    readBytes = 64 * 1024,
    writeBytes = 16 * 1024,
  }: { bytes?: number; readBytes?: number; writeBytes?: number } = {},
): Promise<number> {
  const root = join(area, `inbox-${kind.replace(/\W/g, '')}`);
  await mkdir(root, { recursive: true });
  const hashed = kind === 'hashed';
  const receiver = spawn(
    kind === 'reference'
      ? ['recv-reference', root]
      : [
          'recv-bare',
          join(root, 'copy.bin'),
          kind === 'bare' ? '0' : '1',
          String(hashed ? REFERENCE_WRITE : writeBytes),
          hashed ? '1' : '0',
        ],
  );
  try {
    const { port } = (await receiver.next('ready')) as { port: number };
    const sender = spawn(
      kind === 'reference'
        ? ['send-reference', src, String(port)]
        : [
            'send-bare',
            src,
            String(port),
            String(hashed ? REFERENCE_READ : readBytes),
            String(bytes),
            hashed ? '1' : '0',
          ],
    );
    try {
      await sender.next('ready');
      const start = performance.now();
      sender.process.send({ type: 'go' });
      const [s, r] = (await Promise.all([sender.next('done'), receiver.next('done')])) as unknown as [Done, Done];
      const ms = performance.now() - start;
      if (!s.ok || !r.ok) throw new Error(`the ${kind} transfer failed: ${s.detail ?? ''} ${r.detail ?? ''}`);
      stats.sending.push(ms - (s.firstWriteMs ?? 0));
      for (const [side, done] of [
        [stats.sender, s],
        [stats.receiver, r],
      ] as const) {
        side.growth.push(done.growth);
        side.maxRss.push(done.maxRss);
        side.cpu.push(done.cpuMs);
      }
      return ms;
    } finally {
      await sender.stop();
    }
  } finally {
    await receiver.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * The bare pipeline with several buffer sizes, to choose CHUNK_BYTES
 * (send-file.ts: how much the sender reads at a time) and
 * WRITE_BUFFER_BYTES (receiver.ts: the file stream's highWaterMark) by
 * measurement. CPU time per GiB is the steadier figure on a busy machine.
 */
async function sweep(area: string, src: string, bytes: number): Promise<void> {
  const combos = SWEEP_READ.flatMap((readBytes) =>
    SWEEP_WRITE.map((writeBytes) => ({ readBytes, writeBytes, wall: [] as number[], stats: newStats() })),
  );
  for (let rep = 0; rep < 2; rep++) {
    for (const combo of rep % 2 ? [...combos].reverse() : combos) {
      combo.wall.push(
        await runTransfer('bare', area, src, combo.stats, {
          bytes,
          readBytes: combo.readBytes,
          writeBytes: combo.writeBytes,
        }),
      );
    }
  }
  console.log(
    `buffer sizes (bare pipeline, ${bytes / MiB} MiB, median of 2; sender reads / receiver's write highWaterMark):`,
  );
  for (const c of combos) {
    const perGiB = (ms: number[]): string => (((median(ms) / (bytes / MiB)) * 1024) / 1000).toFixed(2);
    console.log(
      `  read ${c.readBytes / 1024} KiB / write ${c.writeBytes / 1024} KiB: ${(bytes / MiB / (median(c.wall) / 1000)).toFixed(0)} MiB/s, ` +
        `CPU s per GiB: sender ${perGiB(c.stats.sender.cpu)}, receiver ${perGiB(c.stats.receiver.cpu)}`,
    );
  }
}

// ---- child processes ----------------------------------------------------

interface Child {
  process: ChildProcess;
  next(type: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

function spawn(args: string[]): Child {
  const proc = fork(here, [CHILD, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: Array<Record<string, unknown>> = [];
  const waiting: Array<() => void> = [];
  let exited: string | null = null;
  const exit = new Promise<void>((resolve) =>
    proc.once('exit', (code, signal) => {
      exited = `the ${args[0]} child exited (${signal ?? code})`;
      for (const wake of waiting.splice(0)) wake();
      resolve();
    }),
  );
  proc.on('message', (m) => {
    inbox.push(m as Record<string, unknown>);
    for (const wake of waiting.splice(0)) wake();
  });
  return {
    process: proc,
    async next(type) {
      for (let spins = 0; spins < 1_000_000; spins++) {
        const i = inbox.findIndex((m) => m.type === type);
        if (i >= 0) return inbox.splice(i, 1)[0]!;
        if (exited) throw new Error(`${exited} before sending '${type}'`);
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      throw new Error(`no '${type}' message`);
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill();
      await exit;
    },
  };
}

/** Runs in a child process: one side of one transfer, reporting over IPC. */
async function child([role, ...args]: string[]): Promise<void> {
  const send = (message: object): void => void process.send?.(message);
  let base = process.memoryUsage.rss();
  let peak = base;
  let cpu0 = process.cpuUsage();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  let goAt = 0;
  let firstWriteAt = 0;
  const done = (ok: boolean, detail?: string): void => {
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
    const cpu = process.cpuUsage(cpu0);
    const firstWriteMs = firstWriteAt ? firstWriteAt - goAt : undefined;
    send({
      type: 'done',
      ok,
      detail,
      growth: peak - base,
      maxRss: process.resourceUsage().maxRSS * 1024,
      cpuMs: (cpu.user + cpu.system) / 1000,
      firstWriteMs,
    } satisfies Done);
  };
  const listen = async (server: Server): Promise<void> => {
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = peak = process.memoryUsage.rss();
    cpu0 = process.cpuUsage();
    send({ type: 'ready', port: (server.address() as { port: number }).port });
  };
  const connectTo = async (port: number): Promise<Socket> => {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    // Note when the first byte goes out: for the reference, the end of its hash pass.
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      firstWriteAt ||= performance.now();
      return write(...args);
    }) as typeof socket.write;
    return socket;
  };
  const go = (): Promise<void> =>
    new Promise((resolve) => {
      base = peak = process.memoryUsage.rss();
      cpu0 = process.cpuUsage();
      send({ type: 'ready' });
      process.once('message', () => {
        goAt = performance.now();
        resolve();
      });
    });

  if (role === 'recv-bare') {
    const [dst, sync, writeBytes, hash] = args as [string, string, string, string];
    await listen(
      createServer(async (socket) => {
        try {
          const out = createWriteStream(dst, { highWaterMark: Number(writeBytes) });
          if (hash === '1') {
            const sha = createHash('sha256');
            // A second 'data' listener sees every chunk the pipeline moves: hashing with no extra stream.
            socket.on('data', (chunk: Buffer) => sha.update(chunk));
            await pipeline(socket, out);
            sha.digest('hex');
          } else await pipeline(socket, out);
          if (sync === '1') {
            const file = await open(dst, 'r+');
            await file.sync();
            await file.close();
          }
          done(true);
        } catch (err) {
          done(false, String(err));
        }
      }),
    );
  } else if (role === 'recv-reference') {
    const { createReceiver } = (await import(
      new URL('receiver.ts', codeUnderTest).href
    )) as typeof import('../solutions/04-file-transfer/receiver.ts');
    const server = createReceiver({ root: args[0]!, quota: Number.MAX_SAFE_INTEGER });
    server.on('transfer', (verdict: { ok: boolean; message?: string }) => done(verdict.ok, verdict.message));
    await listen(server);
  } else if (role === 'send-bare') {
    const [src, port, readBytes, bytes, hash] = args.map((a, i) => (i === 0 ? a : Number(a))) as [
      string,
      number,
      number,
      number,
      number,
    ];
    const socket = await connectTo(port);
    await go();
    if (hash === 1) {
      // The protocol's sender hashes the whole file before its header.
      const sha = createHash('sha256');
      for await (const chunk of createReadStream(src, { highWaterMark: readBytes })) sha.update(chunk as Buffer);
      sha.digest('hex');
    }
    await pipeline(
      createReadStream(src, { highWaterMark: readBytes, ...(bytes > 0 ? { end: bytes - 1 } : {}) }),
      socket,
    );
    done(true);
  } else if (role === 'send-reference') {
    const { sendFile } = (await import(
      new URL('send-file.ts', codeUnderTest).href
    )) as typeof import('../solutions/04-file-transfer/send-file.ts');
    const socket = await connectTo(Number(args[1]));
    await go();
    const verdict = await sendFile(socket, args[0]!, 'copy.bin');
    done(verdict.ok, verdict.ok ? undefined : verdict.message);
  }
  // Stay alive until the parent is done with us (it kills us, or closes IPC).
  process.on('disconnect', () => process.exit(0));
}
