// Lesson 02: what does "send the length, wait for OK, then the data" cost?
//
// The tutorials' first fix for sticky packets sends a message's length,
// waits for the peer's "OK", and only then sends the data. This measures
// it over loopback (127.0.0.1, port 0) beside a plain length prefix, where
// the sender never waits: the same messages, the same bytes of data, both
// sides in this process, as a ratio measured in the same run.
//
// The tutorials write the length as decimal text; here it is a u32be, so
// that the two schemes differ only in the wait for "OK" (one round trip
// per message), which is what is measured.
//
// Run: npm run bench length-then-ok
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { ByteQueue } from '../solutions/03-struct-framing/frame-codec.ts';
import { median } from './context.ts';

type Scheme = 'length prefix' | 'length, OK, data';
const OK = Buffer.from('OK');

/** Sends `count` messages of `size` bytes on `socket` with the given scheme. */
async function send(socket: Socket, scheme: Scheme, size: number, count: number): Promise<void> {
  const data = Buffer.alloc(size, 0x61);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(size);
  if (scheme === 'length prefix') {
    const frame = Buffer.concat([header, data]);
    for (let i = 0; i < count; i++) if (!socket.write(frame)) await once(socket, 'drain');
    return;
  }
  // Length-then-OK: after each length, wait for the two bytes "OK".
  const acks = new ByteQueue();
  let wake = (): void => {};
  socket.on('data', (chunk: Buffer) => {
    acks.push(chunk);
    wake();
  });
  for (let i = 0; i < count; i++) {
    socket.write(header);
    while (acks.length < OK.length) await new Promise<void>((resolve) => (wake = resolve));
    acks.take(OK.length);
    if (!socket.write(data)) await once(socket, 'drain');
  }
}

/** Receives `count` messages; answers each length with "OK" in the OK scheme. */
function receive(socket: Socket, scheme: Scheme, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    const queue = new ByteQueue();
    let length: number | undefined;
    let seen = 0;
    socket.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      for (;;) {
        if (length === undefined) {
          if (queue.length < 4) return;
          length = queue.take(4).readUInt32BE(0);
          if (scheme === 'length, OK, data') socket.write(OK);
        }
        if (queue.length < length) return;
        queue.take(length);
        length = undefined;
        if (++seen === count) return resolve();
      }
    });
  });
}

/** One run over a fresh loopback connection; resolves with its milliseconds. */
async function transfer(scheme: Scheme, size: number, count: number): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const [[receiver]] = await Promise.all([accepted, once(client, 'connect')]);
    // Without this, Nagle's algorithm holds each small write back until the
    // previous one is acknowledged, and delayed ACKs make that up to 40 ms:
    // the OK scheme would measure timers, not round trips.
    client.setNoDelay(true);
    receiver.setNoDelay(true);
    const start = performance.now();
    await Promise.all([receive(receiver, scheme, count), send(client, scheme, size, count)]);
    const ms = performance.now() - start;
    client.destroy();
    receiver.destroy();
    return ms;
  } finally {
    server.close();
  }
}

export default async function run(): Promise<void> {
  const pairs = 7;
  const count = 5_000;
  console.log(
    `loopback 127.0.0.1, ${count} messages per run, ${pairs} pairs of runs (order alternating), medians; both sides in this process`,
  );
  for (const size of [100, 16 * 1024]) {
    const times: Record<Scheme, number[]> = { 'length prefix': [], 'length, OK, data': [] };
    const ratios: number[] = [];
    await transfer('length prefix', size, count); // warm-up, untimed
    await transfer('length, OK, data', size, count);
    for (let i = 0; i < pairs; i++) {
      const order: Scheme[] =
        i % 2 === 0 ? ['length prefix', 'length, OK, data'] : ['length, OK, data', 'length prefix'];
      const ms: Partial<Record<Scheme, number>> = {};
      for (const scheme of order) ms[scheme] = await transfer(scheme, size, count);
      times['length prefix'].push(ms['length prefix']!);
      times['length, OK, data'].push(ms['length, OK, data']!);
      ratios.push(ms['length, OK, data']! / ms['length prefix']!);
    }
    const rate = (ms: number): string => `${Math.round((count / ms) * 1000).toLocaleString('en-US')} msg/s`;
    const prefix = median(times['length prefix']);
    const ok = median(times['length, OK, data']);
    console.log(
      `${`${size < 1024 ? `${size} B` : `${size / 1024} KiB`} messages`.padEnd(16)}` +
        `length prefix ${rate(prefix).padEnd(14)} length-then-OK ${rate(ok).padEnd(14)}` +
        `(${((ok / count) * 1000).toFixed(1)} µs per message) ` +
        `prefix is ${median(ratios).toFixed(1)}x faster (pairs: ${Math.min(...ratios).toFixed(1)} to ${Math.max(...ratios).toFixed(1)})`,
    );
  }
}
