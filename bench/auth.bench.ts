// Lesson 05: what does authentication cost?
//
// 1. Handshakes per second: a client connects to the reference server,
//    runs the handshake (HELLO, CHALLENGE, PROOF, WELCOME), sends one frame,
//    reads its echo and closes. The baseline is the same client against a
//    plain frame-echo server: connect, one framed echo, close. Same client
//    code, same run, runs alternating: the ratio is what the handshake costs.
// 2. The per-frame MAC (task 7): seal + frame + unframe + open, against
//    framing alone (encodeFrame + takeFrame), in memory, for 100 B and
//    64 KiB frames.
//
// Run: npm run bench auth
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { authenticate } from '../solutions/05-hmac-auth/auth-client.ts';
import { createAuthServer } from '../solutions/05-hmac-auth/auth-server.ts';
import { FrameReader } from '../lessons/05-hmac-auth/frame-reader.ts';
import { encodeFrame, takeFrame } from '../lessons/05-hmac-auth/frame.ts';
import { Opener, Sealer } from '../solutions/05-hmac-auth/session-mac.ts';
import { median, timeRuns } from './context.ts';

const KEY = randomBytes(32);
const RUNS = 7;
const CONNECTIONS = 300; // per run, one after another
const CONCURRENT = 16; // clients at a time in the concurrent case

/** The baseline server: echoes every frame, no handshake. */
function plainEchoServer(): Server {
  return createServer({ allowHalfOpen: true }, (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    const reader = new FrameReader(socket);
    void (async () => {
      for (;;) {
        const frame = await reader.next(65_536);
        if (frame === null) return void socket.end();
        socket.write(encodeFrame(frame));
      }
    })().catch(() => socket.destroy());
  });
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

const PING = Buffer.from('ping');

/** One client connection: connect, (handshake), one framed echo, close. */
async function oneClient(port: number, handshake: boolean): Promise<void> {
  const socket: Socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await once(socket, 'connect');
  const reader = handshake ? (await authenticate(socket, { keyId: 'k1', key: KEY })).reader : new FrameReader(socket);
  socket.write(encodeFrame(PING));
  const echo = await reader.next(65_536);
  if (!echo?.equals(PING)) throw new Error('the echo is wrong');
  socket.end();
  await once(socket, 'close');
}

async function clients(port: number, handshake: boolean, total: number, concurrent: number): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < total) {
      started++;
      await oneClient(port, handshake);
    }
  };
  await Promise.all(Array.from({ length: concurrent }, worker));
}

async function handshakeBench(): Promise<void> {
  const auth = createAuthServer({ keys: new Map([['k1', KEY]]) });
  const plain = plainEchoServer();
  const [authPort, plainPort] = [await listen(auth), await listen(plain)];
  console.log(
    `connections per second over loopback: median of ${RUNS} runs of ${CONNECTIONS} connections, the two servers alternating`,
  );
  console.log(`${'case'.padEnd(28)}${'handshake + echo'.padEnd(20)}${'plain echo'.padEnd(16)}time, handshake/plain`);
  for (const concurrent of [1, CONCURRENT]) {
    const time = async (handshake: boolean): Promise<number> =>
      (await timeRuns(1, () => clients(handshake ? authPort : plainPort, handshake, CONNECTIONS, concurrent)))[0]!;
    await time(true); // warm-up, untimed
    await time(false);
    const authMs: number[] = [];
    const plainMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      if (run % 2 === 0) {
        authMs.push(await time(true));
        plainMs.push(await time(false));
      } else {
        plainMs.push(await time(false));
        authMs.push(await time(true));
      }
    }
    const perSecond = (ms: number): string => `${((CONNECTIONS / ms) * 1000).toFixed(0)}/s`;
    const ratios = authMs.map((a, i) => a / plainMs[i]!);
    console.log(
      `${`${concurrent} client${concurrent > 1 ? 's' : ''} at a time`.padEnd(28)}${perSecond(median(authMs)).padEnd(20)}${perSecond(median(plainMs)).padEnd(16)}${median(ratios).toFixed(2)}x (runs: ${Math.min(...ratios).toFixed(2)} to ${Math.max(...ratios).toFixed(2)})`,
    );
  }
  auth.close();
  plain.close();
}

function macBench(): void {
  console.log(
    `\nper-frame MAC (task 7) against framing alone, in memory: median of ${RUNS} runs; MB = 10^6 payload bytes`,
  );
  console.log(`${'frame size'.padEnd(14)}${'framed'.padEnd(22)}${'framed + MAC'.padEnd(22)}framed/MAC`);
  for (const [label, size, count] of [
    ['100 B', 100, 100_000],
    ['64 KiB', 64 * 1024, 2_000],
  ] as const) {
    const payload = randomBytes(size);
    const plain = (): void => {
      for (let i = 0; i < count; i++) {
        const frame = takeFrame(encodeFrame(payload), 1 << 20);
        if (frame === null || frame.payload.length !== size) throw new Error('framing failed');
      }
    };
    const sealed = (): void => {
      const sealer = new Sealer(KEY);
      const opener = new Opener(KEY);
      for (let i = 0; i < count; i++) {
        const frame = takeFrame(encodeFrame(sealer.seal(payload)), 1 << 20);
        if (frame === null || opener.open(frame.payload)?.length !== size) throw new Error('sealing failed');
      }
    };
    plain(); // warm-up
    sealed();
    const plainMs: number[] = [];
    const sealedMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const start = performance.now();
      plain();
      plainMs.push(performance.now() - start);
      const mid = performance.now();
      sealed();
      sealedMs.push(performance.now() - mid);
    }
    const rate = (ms: number): string =>
      size < 1024
        ? `${((count / ms) * 1000).toExponential(2)} frames/s`
        : `${((count * size) / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
    const ratio = median(sealedMs) / median(plainMs);
    console.log(
      `${label.padEnd(14)}${rate(median(plainMs)).padEnd(22)}${rate(median(sealedMs)).padEnd(22)}${ratio.toFixed(1)}x slower`,
    );
  }
}

export default async function main(): Promise<void> {
  await handshakeBench();
  macBench();
}
