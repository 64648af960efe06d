import type { RemoteInfo, Socket } from 'node:dgram';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { newSeed, seededRandom, useNetKit, withDeadline } from '../../runner/kit/index.ts';
import { ping, type PingOptions, type PingReport } from './udp-pinger.ts';

const kit = useNetKit();

// Small per-ping timeouts keep the file fast: a lost ping costs TIMEOUT_MS.
// Not smaller: the test server and ping() share one event loop, so a
// machine too busy to run it for TIMEOUT_MS would turn a reply into a loss.
const TIMEOUT_MS = 200;
// Where no ping should be lost, a longer timeout costs nothing (unless the
// pinger is broken) and makes a false loss even less likely.
const GENEROUS_TIMEOUT_MS = 500;
// Which pings the lossy server drops depends on this seed, printed in the test's name.
const DROP_SEED = newSeed();

/** One ping as the test server saw it. */
interface SeenPing {
  seq: number;
  sendTimeMs: number;
  bytes: Buffer;
}

/** What the test server does with one well-formed ping: reply (any number of times) or not. */
type Behaviour = (ping: SeenPing, reply: (bytes: Uint8Array) => void, from: RemoteInfo) => void;

/** Upper-cases a-z, as Kurose and Ross's ping server does (pings are upper-case already). */
const shout = (bytes: Uint8Array): Buffer => Buffer.from(bytes.map((b) => (b >= 0x61 && b <= 0x7a ? b - 0x20 : b)));

/**
 * A ping server on 127.0.0.1 port 0. Datagrams that are not exactly
 * `PING <seq> <time>` are recorded in `malformed` and get no reply.
 */
async function startPingServer(
  behaviour: Behaviour,
): Promise<{ port: number; pings: SeenPing[]; malformed: Buffer[]; server: Socket }> {
  const server = await kit.udp();
  const pings: SeenPing[] = [];
  const malformed: Buffer[] = [];
  server.on('message', (bytes, from) => {
    const match = /^PING ([1-9][0-9]*) ([0-9]+)$/.exec(bytes.toString('latin1'));
    if (!match) {
      malformed.push(bytes);
      return;
    }
    const seen = { seq: Number(match[1]), sendTimeMs: Number(match[2]), bytes };
    pings.push(seen);
    behaviour(seen, (reply) => server.send(reply, from.port, from.address), from);
  });
  return { port: server.address().port, pings, malformed, server };
}

/** Runs the learner's ping() with a deadline long enough for every ping to time out, and then some. */
function run(port: number, options: PingOptions & { count: number; timeoutMs: number }): Promise<PingReport> {
  return withDeadline(ping(port, options), {
    ms: Math.min(options.count * options.timeoutMs + 2_000, 8_000), // under vitest's own 10 s
    message: `your ping() did not finish: ${options.count} pings with timeoutMs ${options.timeoutMs} should take at most ${options.count * options.timeoutMs} ms`,
  });
}

/** Checks a report against the pings that should have been answered (true) or lost (false). */
function expectReport(report: PingReport, answered: boolean[]): void {
  const count = answered.length;
  const received = answered.filter(Boolean).length;
  if (typeof report !== 'object' || report === null) {
    throw new Error(
      `ping() must resolve with a report ({ sent, received, lossRate, rttsMs }), but it resolved with ${String(report)}`,
    );
  }
  expect(report.sent, `report.sent: how many pings were sent (${count}), not ${report.sent}`).toBe(count);
  const entries = Array.isArray(report.rttsMs) ? report.rttsMs.length : `no array (${String(report.rttsMs)})`;
  expect(entries, `report.rttsMs: one entry per ping (${count}), not ${entries}`).toBe(count);
  const shape = report.rttsMs.map((rtt) =>
    rtt === null
      ? 'lost'
      : typeof rtt === 'number' && Number.isFinite(rtt) && rtt >= 0
        ? 'rtt'
        : `bad value ${String(rtt)}`,
  );
  if (received > 0 && shape.every((s) => s === 'lost')) {
    throw new Error(
      `the server answered ${received} of your ${count} pings in time, but your ping() counted every ping as lost. ` +
        'Compare the reply with reply.equals(ping) (or its text), not == or ===: two Buffers are never equal that way, even with the same bytes',
    );
  }
  expect(
    shape,
    'report.rttsMs: a round-trip time (ms, a number >= 0) for each answered ping, null for each lost one',
  ).toEqual(answered.map((a) => (a ? 'rtt' : 'lost')));
  expect(
    report.received,
    `report.received: how many pings got their reply in time (${received}), not ${report.received}`,
  ).toBe(received);
  const lossRate = (count - received) / count;
  expect(
    report.lossRate,
    `report.lossRate: (sent - received) / sent = ${lossRate}, not ${report.lossRate}`,
  ).toBeCloseTo(lossRate, 10);
}

/** The seqs the server saw, to check each ping was sent exactly once, in order. */
const seqsOf = (pings: SeenPing[]): number[] => pings.map((p) => p.seq);
const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('Task 7: a UDP pinger', () => {
  it('sends 10 pings in the exact format and reports no loss when every ping is answered', async () => {
    const { port, pings, malformed } = await startPingServer((seen, reply) => reply(shout(seen.bytes)));
    const report = await run(port, { count: 10, timeoutMs: GENEROUS_TIMEOUT_MS });
    expect(
      malformed.map((m) => m.toString('latin1')),
      'datagrams that are not exactly "PING <seq> <sendTimeMs>" (ASCII, single spaces, no newline)',
    ).toEqual([]);
    expect(seqsOf(pings), 'the seqs of the pings the server received: 1 to 10, once each, in order').toEqual(oneTo(10));
    for (const seen of pings) {
      expect(
        Math.abs(seen.sendTimeMs - Date.now()),
        `the sendTimeMs of ping ${seen.seq} should be Date.now() when it was sent, but it was ${seen.sendTimeMs} and Date.now() is ${Date.now()}`,
      ).toBeLessThan(60_000);
    }
    expectReport(report, Array(10).fill(true));
  });

  it(`reports the loss of 30% of pings, a seeded choice (seed ${DROP_SEED}; replay with WORKBOOK_SEED=${DROP_SEED})`, async () => {
    const dropped = dropSet(DROP_SEED, 10, 3);
    const { port, pings } = await startPingServer((seen, reply) => {
      if (!dropped.has(seen.seq)) reply(shout(seen.bytes));
    });
    const report = await run(port, { count: 10, timeoutMs: TIMEOUT_MS });
    expect(seqsOf(pings), 'each ping is sent exactly once, in order, even when lost (no retries)').toEqual(oneTo(10));
    expectReport(
      report,
      oneTo(10).map((seq) => !dropped.has(seq)),
    );
  });

  it('counts a duplicated reply once, even when the copy arrives while the next ping waits', async () => {
    let copy: Buffer | undefined;
    const { port } = await startPingServer((seen, reply) => {
      if (seen.seq === 2) {
        if (copy) reply(copy); // one more copy of reply 1; ping 2 itself is lost
        return;
      }
      copy = shout(seen.bytes);
      reply(copy);
      if (seen.seq !== 4) reply(copy); // UDP may deliver a datagram twice
    });
    expectReport(await run(port, { count: 4, timeoutMs: TIMEOUT_MS }), [true, false, true, true]);
  });

  it('ignores a late reply to an earlier ping', async () => {
    let held: Buffer | undefined;
    const { port } = await startPingServer((seen, reply) => {
      if (seen.seq === 2) {
        held = shout(seen.bytes); // no reply in time: ping 2 is lost...
        return;
      }
      if (seen.seq === 3 && held) reply(held); // ...and its reply turns up while ping 3 waits
      if (seen.seq !== 5) reply(shout(seen.bytes)); // ping 5 is lost too
    });
    expectReport(await run(port, { count: 5, timeoutMs: TIMEOUT_MS }), [true, false, true, true, false]);
  });

  it("ignores datagrams that are not the awaited reply: garbage, a wrong ping, and a stranger's copy", async () => {
    const stranger = await kit.udp();
    const { port } = await startPingServer((seen, reply, from) => {
      if (seen.seq === 1) {
        // The right bytes, but from another port than the server's: not a reply.
        stranger.send(seen.bytes, from.port, from.address);
        return;
      }
      if (seen.seq === 2) {
        reply(Buffer.from('PONG'));
        reply(Buffer.from(`PING 2 ${seen.sendTimeMs + 1}`));
        reply(Buffer.from(`PING 3 ${seen.sendTimeMs}`));
      }
      reply(shout(seen.bytes));
    });
    expectReport(await run(port, { count: 3, timeoutMs: TIMEOUT_MS }), [false, true, true]);
  });

  it('reports every ping lost, without rejecting or crashing, when nothing listens on the port', async () => {
    const closed = await kit.udp();
    const port = closed.address().port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    // A socket that called connect() gets each "port unreachable" as an
    // 'error' event; with no listener, that is an uncaught exception.
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      expectReport(await run(port, { count: 3, timeoutMs: 100 }), [false, false, false]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught.map(String), "errors your ping() did not handle: give its UDP socket an 'error' listener").toEqual(
      [],
    );
  });

  it('closes its socket before resolving', async () => {
    const { port } = await startPingServer((seen, reply) => reply(shout(seen.bytes)));
    await settle();
    const before = udpHandles();
    await run(port, { count: 2, timeoutMs: GENEROUS_TIMEOUT_MS });
    // A closed socket's handle goes away a turn or two later; allow a few.
    for (let turn = 0; turn < 20 && udpHandles() > before; turn++) await nextTurn();
    expect(
      udpHandles(),
      'ping() resolved but left its UDP socket open: close it (and await the close) before returning',
    ).toBeLessThanOrEqual(before);
  });

  for (const { options, what, why } of [
    { options: { port: 0 }, what: 'port 0', why: 'no server listens on port 0' },
    { options: { count: 0 }, what: 'count 0', why: 'a number of pings: a whole number, at least 1' },
    { options: { count: 1.5 }, what: 'count 1.5', why: 'a number of pings: a whole number, at least 1' },
    { options: { timeoutMs: 0 }, what: 'timeoutMs 0', why: 'no reply can arrive in 0 ms' },
    {
      options: { host: 'localhost' },
      what: "host 'localhost'",
      why: 'a name, not an IPv4 address, so replies cannot be checked against it',
    },
  ] as Array<{ options: PingOptions & { port?: number }; what: string; why: string }>) {
    it(`rejects with a RangeError for ${what}`, async () => {
      // Had ping() sent anything, it would go to this socket of the test's own, which never answers.
      const silent = await kit.udp();
      const { port = silent.address().port, ...rest } = options;
      const outcome = await withDeadline(
        ping(port, { timeoutMs: 50, count: 1, ...rest }).then(
          () => undefined,
          (error: unknown) => error,
        ),
        { message: `your ping() neither resolved nor rejected for ${what}` },
      );
      if (outcome instanceof Error && outcome.message.startsWith('TODO:')) throw outcome; // the starter: its TODO says what to do
      const said = outcome === undefined ? 'it resolved' : `it rejected with ${String(outcome)}`;
      expect(
        outcome instanceof RangeError,
        `ping() should reject with a RangeError for ${what} (${why}), but ${said}`,
      ).toBe(true);
    });
  }
});

/** `k` distinct seqs from 1..n, chosen by a seeded shuffle: the same seed, the same drops. */
function dropSet(seed: number, n: number, k: number): Set<number> {
  const random = seededRandom(seed);
  const seqs = oneTo(n);
  for (let i = seqs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [seqs[i], seqs[j]] = [seqs[j]!, seqs[i]!];
  }
  return new Set(seqs.slice(0, k));
}

/** How many UDP sockets this process holds open. */
function udpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
}

/** Lets sockets closed by earlier tests finish closing, so they are not counted. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await nextTurn();
}
