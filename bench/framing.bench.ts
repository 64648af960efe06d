// Lesson 03: how fast is the frame codec, and what does framing cost?
//
// 1. Decoder throughput for 100-byte and 64 KiB frames, fed as one chunk,
//    in 64 KiB chunks and one byte at a time: FrameReader (callbacks),
//    FrameDecoder (the same, as an object-mode stream), and a naive decoder
//    that Buffer.concat()s its whole backlog on every chunk (quadratic when
//    a frame arrives in many pieces, so its byte-at-a-time input is small).
// 2. Framed throughput over loopback (127.0.0.1, port 0) beside a raw
//    socket carrying the same bytes, as ratios measured in the same round:
//    with the sender in this process (both sides' costs on one thread),
//    and in a child process (as a real peer would be). Each line says
//    whether the aim is met.
//
// Run: npm run bench framing   (FRAMING_BENCH=decoder or =loopback: one half)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  FrameDecoder,
  FrameReader,
  HEADER_SIZE,
  encodeFrame,
  encodeFrames,
  writeFrame,
} from '../solutions/03-struct-framing/frame-codec.ts';
import { median, timeRuns } from './context.ts';

const KiB = 1024;
const RUNS = 7;

/** The decoder everyone writes first: one growing Buffer, concatenated on every chunk. */
class NaiveDecoder extends Transform {
  #backlog = Buffer.alloc(0);
  constructor() {
    super({ readableObjectMode: true });
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#backlog = Buffer.concat([this.#backlog, chunk]); // copies the whole backlog, every time
    while (this.#backlog.length >= 4) {
      const length = this.#backlog.readUInt32BE(0);
      if (this.#backlog.length < 4 + length) break;
      this.push(this.#backlog.subarray(4, 4 + length));
      this.#backlog = this.#backlog.subarray(4 + length);
    }
    callback();
  }
}

type Decoder = FrameDecoder | NaiveDecoder;

function framesOf(size: number, count: number): Buffer {
  const payload = Buffer.alloc(size, 0x5a);
  return Buffer.concat(Array.from({ length: count }, () => encodeFrame(payload, { maxFrameSize: size })));
}

function chunked(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

/** Writes every chunk into a fresh decoder and resolves once all `frames` are out. */
async function decodeAll(make: () => Decoder, chunks: readonly Buffer[], frames: number): Promise<void> {
  const decoder = make();
  let seen = 0;
  decoder.on('data', () => seen++);
  const ended = once(decoder, 'end');
  for (const chunk of chunks) if (!decoder.write(chunk)) await once(decoder, 'drain');
  decoder.end();
  await ended;
  if (seen !== frames) throw new Error(`decoded ${seen} frames, expected ${frames}`);
}

interface Case {
  label: string;
  frameSize: number;
  chunkSize: number; // 0: the whole input as one chunk
  ours: number; // frames fed to our decoder
  naive: number; // frames fed to the naive one (fewer where it is quadratic)
}

const cases: Case[] = [
  { label: '100 B frames, one chunk', frameSize: 100, chunkSize: 0, ours: 200_000, naive: 200_000 },
  { label: '100 B frames, 64 KiB chunks', frameSize: 100, chunkSize: 64 * KiB, ours: 200_000, naive: 200_000 },
  { label: '100 B frames, 1 byte at a time', frameSize: 100, chunkSize: 1, ours: 2_000, naive: 2_000 },
  { label: '64 KiB frames, one chunk', frameSize: 64 * KiB, chunkSize: 0, ours: 512, naive: 512 },
  { label: '64 KiB frames, 64 KiB chunks', frameSize: 64 * KiB, chunkSize: 64 * KiB, ours: 512, naive: 512 },
  { label: '64 KiB frames, 1 byte at a time', frameSize: 64 * KiB, chunkSize: 1, ours: 4, naive: 2 },
];

function rate(frameSize: number, frames: number, ms: number): string {
  return frameSize < KiB
    ? `${((frames / ms) * 1000).toExponential(2)} frames/s`
    : `${((frames * frameSize) / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
}

/** Pushes every chunk into a fresh FrameReader, ends it, and checks that all `frames` came out. */
function readAll(frameSize: number, chunks: readonly Buffer[], frames: number): void {
  let seen = 0;
  const reader = new FrameReader(() => seen++, { maxFrameSize: frameSize });
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  if (seen !== frames) throw new Error(`read ${seen} frames, expected ${frames}`);
}

async function decoderBench(): Promise<void> {
  console.log(
    `decoder throughput: median of ${RUNS} runs after a warm-up, the three decoders in rotating order; MB = 10^6 bytes of payload`,
  );
  console.log(
    `${'case'.padEnd(34)}${'FrameReader'.padEnd(22)}${'FrameDecoder'.padEnd(22)}${'naive concat'.padEnd(26)}FrameDecoder/naive (per frame)`,
  );
  for (const c of cases) {
    const ours = framesOf(c.frameSize, c.ours);
    const naive = c.naive === c.ours ? ours : framesOf(c.frameSize, c.naive);
    const cut = (input: Buffer): Buffer[] => (c.chunkSize === 0 ? [input] : chunked(input, c.chunkSize));
    const [oursChunks, naiveChunks] = [cut(ours), cut(naive)];
    const timers = [
      async () => (await timeRuns(1, () => readAll(c.frameSize, oursChunks, c.ours)))[0]!,
      async () =>
        (
          await timeRuns(1, () => decodeAll(() => new FrameDecoder({ maxFrameSize: c.frameSize }), oursChunks, c.ours))
        )[0]!,
      async () => (await timeRuns(1, () => decodeAll(() => new NaiveDecoder(), naiveChunks, c.naive)))[0]!,
    ];
    for (const time of timers) await time(); // warm-up runs, untimed: JIT, and the garbage left by building the input
    const ms: number[][] = [[], [], []];
    const ratios: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Rotate which runs first, so none always pays for another's garbage.
      const took: number[] = [];
      for (let k = 0; k < 3; k++) {
        const which = (run + k) % 3;
        took[which] = await timers[which]!();
      }
      took.forEach((t, which) => ms[which]!.push(t));
      ratios.push(took[2]! / c.naive / (took[1]! / c.ours)); // time per frame, naive over FrameDecoder
    }
    const [readerMs, decoderMs, naiveMs] = ms.map(median) as [number, number, number];
    const naiveLabel = `${rate(c.frameSize, c.naive, naiveMs)}${c.naive !== c.ours ? ` (${c.naive} frames)` : ''}`;
    const spread = `${Math.min(...ratios).toFixed(2)} to ${Math.max(...ratios).toFixed(2)}`;
    console.log(
      `${c.label.padEnd(34)}${rate(c.frameSize, c.ours, readerMs).padEnd(22)}${rate(c.frameSize, c.ours, decoderMs).padEnd(22)}${naiveLabel.padEnd(26)}${median(ratios).toFixed(2)}x (runs: ${spread})`,
    );
  }
}

/**
 * What carries the bytes. raw: the sender writes bytes encoded once
 * beforehand, the receiver counts bytes. copy (64 KiB frames only): raw,
 * plus one copy of each frame into a new buffer of its own, cut by its
 * known size without reading a header: what a decoder that hands out a
 * 64 KiB payload in one piece must at least do, since 65,540-byte frames
 * always span two 64 KiB socket reads, unless it copies into a shared slab
 * as the reference ByteQueue does. reader and decoder: the sender
 * encodes every frame as it goes (encodeFrames() for a batch of small
 * frames, writeFrame() for a large one), and the receiver decodes every
 * frame with a FrameReader fed from 'data' (reader) or through
 * socket.pipe(new FrameDecoder()) (decoder), counting frames and payload bytes.
 */
type Mode = 'raw' | 'copy' | 'reader' | 'decoder';

interface SenderJob {
  port: number;
  mode: Mode;
  frameSize: number;
  frames: number;
}

/**
 * The sending side. Small frames go out in writes of about 64 KiB either
 * way, as a real sender batches them (one write per 100 B is slow, framed
 * or not): raw writes a slice of bytes encoded once; framed encodes each
 * batch with encodeFrames(). A frame of 64 KiB goes out alone: raw as one
 * buffer, framed with writeFrame() (the header, then the payload itself).
 */
async function send(socket: Socket, { mode, frameSize, frames }: Omit<SenderJob, 'port'>): Promise<void> {
  const payload = Buffer.alloc(frameSize, 0xa5);
  const options = { maxFrameSize: frameSize };
  const perWrite = Math.max(1, Math.floor((64 * KiB) / (HEADER_SIZE + frameSize)));
  const rawWrite = framesOf(frameSize, perWrite);
  const batch = Array.from({ length: perWrite }, () => payload);
  for (let sent = 0; sent < frames; sent += perWrite) {
    const n = Math.min(perWrite, frames - sent);
    let roomLeft: boolean;
    if (mode === 'raw' || mode === 'copy') roomLeft = socket.write(rawWrite.subarray(0, n * (HEADER_SIZE + frameSize)));
    else if (perWrite === 1) roomLeft = writeFrame(socket, payload, options);
    else roomLeft = socket.write(encodeFrames(n === perWrite ? batch : batch.slice(0, n), options));
    if (!roomLeft) await once(socket, 'drain');
  }
}

/** The receiving side: resolves once every byte (raw) or every frame (copy, reader, decoder) has arrived. */
function receive(socket: Socket, { mode, frameSize, frames }: Omit<SenderJob, 'port'>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    // Once everything has arrived this is a no-op; before, it would be a hang.
    socket.on('close', () => reject(new Error(`the connection closed before every ${mode} byte arrived`)));
    if (mode === 'raw') {
      const total = (HEADER_SIZE + frameSize) * frames;
      let bytes = 0;
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes >= total) resolve();
      });
      return;
    }
    if (mode === 'copy') {
      const frameBytes = HEADER_SIZE + frameSize;
      let frame = Buffer.allocUnsafe(frameBytes);
      let filled = 0;
      let copied = 0;
      socket.on('data', (chunk: Buffer) => {
        for (let at = 0; at < chunk.length; ) {
          const n = chunk.copy(frame, filled, at);
          at += n;
          filled += n;
          if (filled === frameBytes) {
            frame = Buffer.allocUnsafe(frameBytes);
            filled = 0;
            if (++copied === frames) resolve();
          }
        }
      });
      return;
    }
    let seen = 0;
    let payloadBytes = 0;
    const onFrame = (frame: Buffer): void => {
      payloadBytes += frame.length;
      if (++seen < frames) return;
      if (payloadBytes === frames * frameSize) resolve();
      else reject(new Error(`decoded ${payloadBytes} payload bytes, expected ${frames * frameSize}`));
    };
    if (mode === 'reader') {
      const reader = new FrameReader(onFrame, { maxFrameSize: frameSize });
      socket.on('data', (chunk: Buffer) => {
        try {
          reader.push(chunk);
        } catch (error) {
          reject(error);
        }
      });
    } else {
      const decoder = socket.pipe(new FrameDecoder({ maxFrameSize: frameSize }));
      decoder.on('error', reject);
      decoder.on('data', onFrame);
    }
  });
}

interface Took {
  /** Wall time from the first byte sent to the last byte received. */
  ms: number;
  /** CPU time (user + system) of both sides over the same span. */
  cpuMs: number;
}

const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
};

/**
 * One transfer over 127.0.0.1. The sender runs in this process (both sides
 * share one thread) or in a child process (as a real peer would; its
 * start-up is not timed: it waits for a "go" byte, and reports its CPU
 * time on stdout when done).
 */
async function loopback(job: Omit<SenderJob, 'port'>, senderIn: SenderIn): Promise<Took> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  try {
    if (senderIn === 'this process') {
      const accepted = once(server, 'connection') as Promise<[Socket]>;
      const client = connect(port, '127.0.0.1');
      const [[socket]] = await Promise.all([accepted, once(client, 'connect')]);
      const start = performance.now();
      const cpu = process.cpuUsage();
      await Promise.all([receive(socket, job), send(client, job)]);
      const took = { ms: performance.now() - start, cpuMs: cpuMsSince(cpu) };
      client.destroy();
      return took;
    }
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, [SENDER_ENV]: JSON.stringify({ ...job, port } satisfies SenderJob) },
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: fileURLToPath(new URL('..', import.meta.url)), // where `--import tsx` resolves
    });
    let report = '';
    child.stdout.on('data', (chunk: Buffer) => (report += chunk));
    const exited = once(child, 'exit');
    const [socket] = (await once(server, 'connection')) as [Socket];
    const received = receive(socket, job);
    const start = performance.now();
    const cpu = process.cpuUsage();
    socket.write('g'); // go
    await received;
    const ms = performance.now() - start;
    const receiverCpuMs = cpuMsSince(cpu);
    await exited;
    socket.destroy();
    const { cpuMs } = JSON.parse(report) as { cpuMs: number };
    return { ms, cpuMs: receiverCpuMs + cpuMs };
  } finally {
    server.close();
  }
}

type SenderIn = 'this process' | 'a child process';

/** What framed/raw should reach, with FrameReader: the aims of issue 8. */
const AIMS: Record<number, number> = { [64 * KiB]: 0.8, 100: 0.3 };

async function loopbackBench(): Promise<void> {
  const rounds = 7;
  console.log(
    `\nloopback 127.0.0.1: framed vs raw, the same bytes; ${rounds} rounds of raw, FrameReader, FrameDecoder (and copy only, for 64 KiB) in rotating order;` +
      '\nframed/raw: throughput as a fraction of raw, median of the rounds (each round its own ratio); CPU: the same for CPU time of both sides (steadier on a busy machine)',
  );
  for (const senderIn of ['this process', 'a child process'] as const) {
    for (const [frameSize, frames] of [
      [64 * KiB, 4096], // 256 MiB
      [100, 1_000_000], // 104 MB on the wire
    ] as const) {
      const ms: Record<Mode, number[]> = { raw: [], copy: [], reader: [], decoder: [] };
      const ratios: Record<Mode, number[]> = { raw: [], copy: [], reader: [], decoder: [] };
      const cpuRatios: Record<Mode, number[]> = { raw: [], copy: [], reader: [], decoder: [] };
      const modes: Mode[] = frameSize >= 64 * KiB ? ['raw', 'copy', 'reader', 'decoder'] : ['raw', 'reader', 'decoder'];
      for (let round = 0; round < rounds; round++) {
        // Rotate the order, so a warming or cooling machine favours none of them.
        const order = [...modes.slice(round % modes.length), ...modes.slice(0, round % modes.length)];
        const took: Partial<Record<Mode, Took>> = {};
        for (const mode of order) took[mode] = await loopback({ mode, frameSize, frames }, senderIn);
        for (const mode of modes) {
          ms[mode].push(took[mode]!.ms);
          ratios[mode].push(took.raw!.ms / took[mode]!.ms); // throughput as a fraction of raw, in this round
          cpuRatios[mode].push(took.raw!.cpuMs / took[mode]!.cpuMs);
        }
      }
      const bytes = (HEADER_SIZE + frameSize) * frames;
      const mbps = (mode: Mode): string => `${(bytes / 1e6 / (median(ms[mode]) / 1000)).toFixed(0)} MB/s`;
      const figures = (mode: Mode): string =>
        `${mbps(mode).padEnd(11)} ${mode === 'copy' ? 'copy' : 'framed'}/raw ${median(ratios[mode]).toFixed(2)}x (rounds ${Math.min(...ratios[mode]).toFixed(2)} to ${Math.max(...ratios[mode]).toFixed(2)}; CPU ${median(cpuRatios[mode]).toFixed(2)}x)`;
      const aim = AIMS[frameSize]!;
      const met = median(ratios.reader) >= aim;
      console.log(
        `${frameSize < KiB ? `${frameSize} B` : `${frameSize / KiB} KiB`} frames, sender in ${senderIn}: raw ${mbps('raw')}`,
      );
      console.log(`  FrameReader   ${figures('reader')}  aim >= ${aim}x: ${met ? 'met' : 'NOT met'}`);
      console.log(`  FrameDecoder  ${figures('decoder')}  the stream, for comparison (no aim)`);
      if (modes.includes('copy')) {
        console.log(
          `  copy only     ${figures('copy')}  raw plus one copy of each payload into a new buffer, no decoding`,
        );
      }
    }
  }
}

/** In the child process: connect, wait for "go", send, report the CPU time it took on stdout, and leave. */
async function runSender(job: SenderJob): Promise<void> {
  const socket = connect(job.port, '127.0.0.1');
  await once(socket, 'connect');
  await once(socket, 'data');
  const cpu = process.cpuUsage();
  await send(socket, job);
  socket.end();
  await once(socket, 'finish');
  process.stdout.write(JSON.stringify({ cpuMs: cpuMsSince(cpu) }));
  socket.destroy();
}

const SENDER_ENV = 'FRAMING_BENCH_SENDER';
const senderJob = process.env[SENDER_ENV];
if (senderJob !== undefined) await runSender(JSON.parse(senderJob) as SenderJob);

/** FRAMING_BENCH=decoder or =loopback runs one half. */
export default async function run(): Promise<void> {
  const only = process.env.FRAMING_BENCH;
  if (only !== 'loopback') await decoderBench();
  if (only !== 'decoder') await loopbackBench();
}
