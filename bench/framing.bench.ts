// Lesson 03: how fast is the frame codec, and what does framing cost?
//
// 1. Decoder throughput for 100-byte and 64 KiB frames, fed as one chunk,
//    in 64 KiB chunks and one byte at a time, beside a naive decoder that
//    Buffer.concat()s its whole backlog on every chunk (quadratic when a
//    frame arrives in many pieces, so its byte-at-a-time input is small).
// 2. Framed throughput over loopback (127.0.0.1, port 0) beside a raw
//    socket carrying the same bytes, as a ratio measured in the same run:
//    with the sender in this process (both sides' costs on one thread),
//    and in a child process (as a real peer would be).
//
// Run: npm run bench framing
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { FrameDecoder, encodeFrame, writeFrame } from '../solutions/03-struct-framing/frame-codec.ts';
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

async function decoderBench(): Promise<void> {
  console.log(
    `decoder throughput: median of ${RUNS} runs after a warm-up, the two decoders alternating; MB = 10^6 bytes of payload`,
  );
  console.log(`${'case'.padEnd(34)}${'FrameDecoder'.padEnd(24)}${'naive concat'.padEnd(26)}ours/naive (per frame)`);
  for (const c of cases) {
    const ours = framesOf(c.frameSize, c.ours);
    const naive = c.naive === c.ours ? ours : framesOf(c.frameSize, c.naive);
    const cut = (input: Buffer): Buffer[] => (c.chunkSize === 0 ? [input] : chunked(input, c.chunkSize));
    const [oursChunks, naiveChunks] = [cut(ours), cut(naive)];
    const oursMs: number[] = [];
    const naiveMs: number[] = [];
    const ratios: number[] = [];
    const timeOurs = async (): Promise<number> =>
      (
        await timeRuns(1, () => decodeAll(() => new FrameDecoder({ maxFrameSize: c.frameSize }), oursChunks, c.ours))
      )[0]!;
    const timeNaive = async (): Promise<number> =>
      (await timeRuns(1, () => decodeAll(() => new NaiveDecoder(), naiveChunks, c.naive)))[0]!;
    await timeOurs(); // warm-up runs, untimed: JIT, and the garbage left by building the input
    await timeNaive();
    for (let run = 0; run < RUNS; run++) {
      // Alternate which runs first, so neither always pays for the other's garbage.
      let a: number;
      let b: number;
      if (run % 2 === 0) {
        a = await timeOurs();
        b = await timeNaive();
      } else {
        b = await timeNaive();
        a = await timeOurs();
      }
      oursMs.push(a);
      naiveMs.push(b);
      ratios.push(b / c.naive / (a / c.ours)); // time per frame, naive over ours
    }
    const naiveLabel = `${rate(c.frameSize, c.naive, median(naiveMs))}${c.naive !== c.ours ? ` (${c.naive} frames)` : ''}`;
    const spread = `${Math.min(...ratios).toFixed(2)} to ${Math.max(...ratios).toFixed(2)}`;
    console.log(
      `${c.label.padEnd(34)}${rate(c.frameSize, c.ours, median(oursMs)).padEnd(24)}${naiveLabel.padEnd(26)}${median(ratios).toFixed(2)}x (runs: ${spread})`,
    );
  }
}

type Mode = 'raw' | 'framed';

interface SenderJob {
  port: number;
  mode: Mode;
  frameSize: number;
  frames: number;
}

/**
 * The sending side. Framed: writeFrame() for each large frame, encodeFrame()
 * for small ones batched into one write. Raw: the same
 * bytes, encoded once beforehand. Small frames go out in writes of about
 * 64 KiB either way, as a real sender batches them (one write per 100 B is
 * slow, framed or not).
 */
async function send(socket: Socket, { mode, frameSize, frames }: Omit<SenderJob, 'port'>): Promise<void> {
  const payload = Buffer.alloc(frameSize, 0xa5);
  const encoded = encodeFrame(payload, { maxFrameSize: frameSize });
  const perWrite = Math.max(1, Math.floor((64 * KiB) / encoded.length));
  const rawWrite = Buffer.concat(Array.from({ length: perWrite }, () => encoded));
  const encode = (): Buffer => encodeFrame(payload, { maxFrameSize: frameSize });
  for (let sent = 0; sent < frames; sent += perWrite) {
    const n = Math.min(perWrite, frames - sent);
    if (mode === 'framed' && n === 1) {
      // A large frame goes out as header + the payload itself (no copy).
      if (!writeFrame(socket, payload, { maxFrameSize: frameSize })) await once(socket, 'drain');
      continue;
    }
    const chunk =
      mode === 'raw'
        ? rawWrite.subarray(0, n * encoded.length)
        : n === 1
          ? encode()
          : Buffer.concat(Array.from({ length: n }, encode));
    if (!socket.write(chunk)) await once(socket, 'drain');
  }
}

/** The receiving side: resolves once every byte (raw) or every frame (framed) has arrived. */
function receive(socket: Socket, { mode, frameSize, frames }: Omit<SenderJob, 'port'>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    if (mode === 'raw') {
      const total = (frameSize + 4) * frames;
      let bytes = 0;
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes >= total) resolve();
      });
    } else {
      let seen = 0;
      const decoder = socket.pipe(new FrameDecoder({ maxFrameSize: frameSize }));
      decoder.on('error', reject);
      decoder.on('data', () => {
        if (++seen === frames) resolve();
      });
    }
  });
}

/**
 * One transfer over 127.0.0.1; resolves with the milliseconds from the
 * first byte sent to the last byte received. The sender runs in this
 * process (both sides share one thread) or in a child process (as a real
 * peer would; its start-up is not timed: it waits for a "go" byte).
 */
async function loopback(job: Omit<SenderJob, 'port'>, senderIn: 'this process' | 'a child process'): Promise<number> {
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
      await Promise.all([receive(socket, job), send(client, job)]);
      const ms = performance.now() - start;
      client.destroy();
      return ms;
    }
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, [SENDER_ENV]: JSON.stringify({ ...job, port } satisfies SenderJob) },
      stdio: ['ignore', 'inherit', 'inherit'],
      cwd: fileURLToPath(new URL('..', import.meta.url)), // where `--import tsx` resolves
    });
    const exited = once(child, 'exit');
    const [socket] = (await once(server, 'connection')) as [Socket];
    const received = receive(socket, job);
    const start = performance.now();
    socket.write('g'); // go
    await received;
    const ms = performance.now() - start;
    await exited;
    socket.destroy();
    return ms;
  } finally {
    server.close();
  }
}

async function loopbackBench(): Promise<void> {
  const pairs = 7;
  console.log(`\nloopback 127.0.0.1: framed vs raw, the same bytes; ${pairs} pairs (order alternating), medians`);
  for (const senderIn of ['this process', 'a child process'] as const) {
    for (const [frameSize, frames] of [
      [64 * KiB, 4096], // 256 MiB
      [100, 1_000_000], // 104 MB on the wire
    ] as const) {
      const raw: number[] = [];
      const framed: number[] = [];
      const ratios: number[] = [];
      for (let i = 0; i < pairs; i++) {
        // Alternate which runs first, so a warming or cooling machine favours neither.
        let r: number;
        let f: number;
        if (i % 2 === 0) {
          r = await loopback({ mode: 'raw', frameSize, frames }, senderIn);
          f = await loopback({ mode: 'framed', frameSize, frames }, senderIn);
        } else {
          f = await loopback({ mode: 'framed', frameSize, frames }, senderIn);
          r = await loopback({ mode: 'raw', frameSize, frames }, senderIn);
        }
        raw.push(r);
        framed.push(f);
        ratios.push(r / f); // framed throughput as a fraction of raw, in this pair
      }
      const bytes = (frameSize + 4) * frames;
      const mbps = (ms: number): string => `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
      const label = `${frameSize < KiB ? `${frameSize} B` : `${frameSize / KiB} KiB`} frames, sender in ${senderIn}`;
      const spread = `${Math.min(...ratios).toFixed(2)} to ${Math.max(...ratios).toFixed(2)}`;
      console.log(
        `${label.padEnd(44)} raw ${mbps(median(raw)).padEnd(11)} framed ${mbps(median(framed)).padEnd(11)} framed/raw ${median(ratios).toFixed(2)}x (pairs: ${spread})`,
      );
    }
  }
}

/** In the child process: connect, wait for "go", send, and leave. */
async function runSender(job: SenderJob): Promise<void> {
  const socket = connect(job.port, '127.0.0.1');
  await once(socket, 'connect');
  await once(socket, 'data');
  await send(socket, job);
  socket.end();
  await once(socket, 'finish');
  socket.destroy();
}

const SENDER_ENV = 'FRAMING_BENCH_SENDER';
const senderJob = process.env[SENDER_ENV];
if (senderJob !== undefined) await runSender(JSON.parse(senderJob) as SenderJob);

export default async function run(): Promise<void> {
  await decoderBench();
  await loopbackBench();
}
