import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bytewise,
  expectBytes,
  pattern,
  randomChunks,
  readUntilEnd,
  sha256,
  snapshotTree,
  startProxy,
  useNetKit,
  useTempDirs,
  withDeadline,
} from '../../runner/kit/index.ts';
import { takeFrame } from './frame.ts';
import { MAX_VERDICT_BYTES, type Verdict, jsonFrame } from './protocol.ts';
import { createReceiver } from './receiver.ts';
import { sendFile } from './send-file.ts';

const kit = useNetKit();
const tempDir = useTempDirs('wb04-recv-');
const MiB = 1024 * 1024;

/** The header frame for `body`, then `body`: what a correct sender writes. */
function header(name: string, body: Uint8Array, overrides: object = {}): Buffer {
  return jsonFrame({ name, size: body.length, sha256: sha256(body), ...overrides });
}

/** The 'transfer' events of a receiver, awaited one by one with a deadline. */
function watchTransfers(server: Server) {
  const seen: Verdict[] = [];
  const waiting: Array<(v: Verdict) => void> = [];
  server.on('transfer', (verdict: Verdict) => {
    const wake = waiting.shift();
    if (wake) wake(verdict);
    else seen.push(verdict);
  });
  return {
    next(what: string, ms = 5_000): Promise<Verdict> {
      const ready = seen.shift();
      if (ready) return Promise.resolve(ready);
      return withDeadline(new Promise<Verdict>((resolve) => waiting.push(resolve)), {
        ms,
        message: `your receiver never emitted 'transfer' (with the verdict) after ${what}`,
      });
    },
  };
}

/** A receiver in a fresh test area: `area` is the test's own temp folder, `root` (area/inbox) the receiver's. */
async function startReceiver({ quota = 64 * MiB, idleMs = 5_000 } = {}) {
  const area = await tempDir();
  const root = join(area, 'inbox');
  await mkdir(root);
  const server = createReceiver({ root, quota, idleMs });
  const port = await kit.listen(server);
  return { area, root, port, server, transfers: watchTransfers(server) };
}

/** Reads the receiver's reply (one verdict frame, then the end) from `client`. */
async function verdictFrom(client: Socket, ms = 5_000): Promise<Verdict> {
  const reply = await readUntilEnd(client, {
    ms,
    message: "your receiver's verdict frame, followed by the end of the connection, never came",
  });
  const frame = takeFrame(reply, MAX_VERDICT_BYTES);
  if (!frame)
    throw new Error(
      `the receiver's reply is not one whole frame: ${reply.length} bytes, ${JSON.stringify(reply.toString())}`,
    );
  expect(frame.rest.length, 'bytes after the verdict frame').toBe(0);
  return JSON.parse(frame.payload.toString()) as Verdict;
}

/** Connects to `port`, writes each of `parts` in order, and returns the verdict. */
async function send(port: number, ...parts: Uint8Array[]): Promise<Verdict> {
  const client = await kit.connect(port);
  const verdict = verdictFrom(client);
  for (const part of parts) client.write(part);
  return verdict;
}

describe('Task 7: the receiver', () => {
  it('saves a file and answers {"ok":true,"name","size","sha256"}', async () => {
    const { root, port, transfers } = await startReceiver();
    const body = Buffer.from('hello, receiver');
    const verdict = await send(port, header('hello.txt', body), body);
    expect(verdict).toStrictEqual({ ok: true, name: 'hello.txt', size: body.length, sha256: sha256(body) });
    expect((await transfers.next('a transfer')).ok).toBe(true);
    expectBytes(await readFile(join(root, 'hello.txt')), body, 'the saved file');
    expect(await readdir(root), 'the folder must hold the file and nothing else (no temporary file)').toEqual([
      'hello.txt',
    ]);
  });

  it('saves a 0-byte file', async () => {
    const { root, port, transfers } = await startReceiver();
    const verdict = await send(port, header('empty.txt', Buffer.alloc(0)));
    expect(verdict).toMatchObject({ ok: true, size: 0 });
    await transfers.next('a 0-byte transfer');
    expect((await readFile(join(root, 'empty.txt'))).length).toBe(0);
  });

  it('saves 8 MiB of every byte value, exactly', async () => {
    const { root, port, transfers } = await startReceiver();
    const body = pattern(8 * MiB);
    const verdict = await send(port, header('big.bin', body), body);
    expect(verdict).toMatchObject({ ok: true, size: 8 * MiB });
    await transfers.next('an 8 MiB transfer');
    expectBytes(await readFile(join(root, 'big.bin')), body, 'the saved 8 MiB file');
  });

  it('keeps the body bytes that arrive in the same chunk as the header', async () => {
    const { root, port, transfers } = await startReceiver();
    const body = pattern(10_000);
    const wire = Buffer.concat([header('together.bin', body), body]);
    // The proxy holds every byte until the last, then forwards them in one write.
    const proxy = await startProxy(kit, port, { toServer: { holdUntil: wire.length } });
    expect(await send(proxy.port, wire)).toMatchObject({ ok: true });
    await transfers.next('a transfer whose header and body came together');
    expectBytes(await readFile(join(root, 'together.bin')), body, 'the saved file');
  });

  it('accepts a header and body that arrive one byte at a time', async () => {
    const { root, port, transfers } = await startReceiver();
    const body = Buffer.from('one byte at a time');
    const proxy = await startProxy(kit, port, { toServer: { chunker: bytewise } });
    expect(await send(proxy.port, header('slow.txt', body), body)).toMatchObject({ ok: true });
    await transfers.next('a transfer sent byte by byte');
    expectBytes(await readFile(join(root, 'slow.txt')), body, 'the saved file');
  });

  const ABSOLUTE = Symbol('an absolute path into the test folder');
  const badNames: Array<[string, string | typeof ABSOLUTE]> = [
    ['../x', '../x'],
    ['an absolute path (<test folder>/outside/abs.txt)', ABSOLUTE],
    ['a/../../b', 'a/../../b'],
    ['..', '..'],
    ['.', '.'],
    ['C:\\x', 'C:\\x'],
    ['x\\0y (a NUL byte)', 'x\0y'],
    ['tab\\there', 'tab\there'],
    ['.hidden', '.hidden'],
    ['x repeated 256 times', 'x'.repeat(256)],
  ];
  it.each(badNames)('refuses the name %s with code bad-name, and writes nothing anywhere', async (_label, given) => {
    const { area, port, transfers } = await startReceiver();
    // Not /etc/passwd itself: a receiver with this bug, run as root, would
    // really replace it. A path inside the test folder proves the same point.
    const name = given === ABSOLUTE ? join(area, 'outside', 'abs.txt') : given;
    await mkdir(join(area, 'outside'));
    await writeFile(join(area, 'x'), 'a file next to the inbox, that ../x would replace');
    const before = await snapshotTree(area);
    const body = Buffer.from('what an attacker wants written');
    expect(
      await send(port, header(name, body), body),
      `the verdict for the name ${JSON.stringify(name)}: refuse it with safeTarget, before anything touches the disk`,
    ).toMatchObject({
      ok: false,
      code: 'bad-name',
    });
    await transfers.next('a bad name');
    expect(await snapshotTree(area), 'the test folder (the inbox and around it) must be exactly as before').toEqual(
      before,
    );
  });

  it('refuses a size over the quota at once: no body byte is needed, nothing is written', async () => {
    const { area, port, transfers } = await startReceiver({ quota: 1000 });
    const before = await snapshotTree(area);
    // Only the header is sent: the receiver must answer without waiting for a body.
    const verdict = await send(port, jsonFrame({ name: 'big.iso', size: 1001, sha256: 'a'.repeat(64) }));
    expect(verdict).toMatchObject({ ok: false, code: 'quota' });
    await transfers.next('a transfer over the quota');
    expect(await snapshotTree(area)).toEqual(before);
  });

  it('counts saved files against the quota', async () => {
    const { port, transfers } = await startReceiver({ quota: 1000 });
    const [a, b, c] = [pattern(600, 1), pattern(600, 2), pattern(400, 3)];
    expect(await send(port, header('a.bin', a), a)).toMatchObject({ ok: true });
    await transfers.next('the first transfer');
    expect(await send(port, header('b.bin', b), b), '600 + 600 bytes do not fit a quota of 1000').toMatchObject({
      ok: false,
      code: 'quota',
    });
    await transfers.next('the second transfer');
    expect(await send(port, header('c.bin', c), c), '600 + 400 bytes fit a quota of 1000 exactly').toMatchObject({
      ok: true,
    });
  });

  it('gives back the quota of a transfer that failed', async () => {
    const { port, transfers } = await startReceiver({ quota: 1000 });
    const body = pattern(600);
    const lie = header('a.bin', body, { sha256: sha256(Buffer.from('something else')) });
    expect(await send(port, lie, body)).toMatchObject({ ok: false, code: 'hash-mismatch' });
    await transfers.next('a transfer with the wrong hash');
    expect(
      await send(port, header('a.bin', body), body),
      'the failed transfer must not keep its 600 bytes of quota',
    ).toMatchObject({ ok: true });
  });

  it('never replaces an existing file', async () => {
    const { area, root, port, transfers } = await startReceiver();
    await writeFile(join(root, 'report.txt'), 'precious old content');
    const before = await snapshotTree(area);
    const body = Buffer.from('new content');
    expect(await send(port, header('report.txt', body), body)).toMatchObject({ ok: false, code: 'exists' });
    await transfers.next('a transfer to a name that exists');
    expect(await snapshotTree(area), 'the existing file and its folder must be untouched').toEqual(before);
  });

  it('refuses a name that exists at once: no body byte is needed', async () => {
    const { root, port, transfers } = await startReceiver();
    await writeFile(join(root, 'taken.txt'), 'already here');
    // Only the header: the answer must not wait for a body it will not use.
    expect(await send(port, jsonFrame({ name: 'taken.txt', size: 1000, sha256: 'b'.repeat(64) }))).toMatchObject({
      ok: false,
      code: 'exists',
    });
    await transfers.next('a transfer to a name that exists');
    expect(await readdir(root)).toEqual(['taken.txt']);
  });

  it('refuses a header that is not JSON, and a header frame over the limit', async () => {
    const { area, port, transfers } = await startReceiver();
    const before = await snapshotTree(area);
    expect(await send(port, jsonFrame({}).subarray(0, 4), Buffer.from('{}'), Buffer.from('rest'))).toMatchObject({
      ok: false,
      code: 'bad-header',
    });
    await transfers.next('a header that is not a valid header');
    expect(await send(port, Buffer.of(0xff, 0xff, 0xff, 0xff)), 'a 4 GiB header frame').toMatchObject({
      ok: false,
      code: 'bad-header',
    });
    await transfers.next('a header frame of 4 GiB');
    expect(await snapshotTree(area)).toEqual(before);
  });

  it('catches one byte flipped in transit, and commits nothing', async () => {
    const { root, port, transfers } = await startReceiver();
    const body = pattern(64 * 1024);
    const head = header('flipped.bin', body);
    const target = head.length + 1000; // the 1001st body byte
    const proxy = await startProxy(kit, port, {
      toServer: {
        tamper: (chunk, offset) => {
          if (target >= offset && target < offset + chunk.length) chunk[target - offset]! ^= 0x01;
          return chunk;
        },
      },
    });
    expect(await send(proxy.port, head, body)).toMatchObject({ ok: false, code: 'hash-mismatch' });
    await transfers.next('a tampered transfer');
    expect(await readdir(root), 'nothing may be committed, and no temporary file may stay').toEqual([]);
  });

  it('cleans up after a connection cut halfway, and keeps serving others', async () => {
    const { root, port, transfers } = await startReceiver();
    const body = pattern(1 * MiB);
    const head = header('cut.bin', body);
    const proxy = await startProxy(kit, port, { toServer: { cutAfter: head.length + body.length / 2 } });
    const client = await kit.connect(proxy.port);
    client.on('error', () => {}); // the proxy cuts this connection
    client.write(Buffer.concat([head, body]));
    expect(await transfers.next('a connection cut halfway')).toMatchObject({ ok: false, code: 'short-body' });
    expect(await readdir(root), 'a cut transfer must leave no file and no temporary file').toEqual([]);

    const next = Buffer.from('still serving');
    expect(await send(port, header('next.txt', next), next), 'the receiver must still serve after a cut').toMatchObject(
      { ok: true },
    );
  });

  it('drops a sender that goes silent mid-body, and removes its temporary file', async () => {
    const { root, port, transfers } = await startReceiver({ idleMs: 200 });
    const body = pattern(100_000);
    const client = await kit.connect(port);
    client.on('error', () => {});
    client.write(Buffer.concat([header('stalled.bin', body), body.subarray(0, 50_000)]));
    // Half the body, then silence: the receiver's idle timeout (200 ms) must end it.
    expect(
      await transfers.next('a sender that went silent (idleMs was 200)', 3_000),
      "the verdict for a sender that went silent must have code 'timeout' (short-body? then copyBody replaced the socket's TransferError instead of passing it on)",
    ).toMatchObject({ ok: false, code: 'timeout' });
    expect(await readdir(root)).toEqual([]);
  });

  it('receives two files at once', async () => {
    const { root, port, transfers } = await startReceiver();
    const [a, b] = [pattern(300_000, 1), pattern(200_000, 2)];
    const [ca, cb] = await Promise.all([kit.connect(port), kit.connect(port)]);
    const verdicts = Promise.all([verdictFrom(ca), verdictFrom(cb)]);
    // Interleaved: both headers, then both bodies in halves.
    ca.write(header('a.bin', a));
    cb.write(header('b.bin', b));
    ca.write(a.subarray(0, 150_000));
    cb.write(b.subarray(0, 100_000));
    ca.write(a.subarray(150_000));
    cb.write(b.subarray(100_000));
    expect(await verdicts).toMatchObject([
      { ok: true, name: 'a.bin' },
      { ok: true, name: 'b.bin' },
    ]);
    await transfers.next('the first of two transfers');
    await transfers.next('the second of two transfers');
    expectBytes(await readFile(join(root, 'a.bin')), a, 'a.bin');
    expectBytes(await readFile(join(root, 'b.bin')), b, 'b.bin');
  });

  it('lets only one of two transfers to the same name win, and saves it whole', async () => {
    const { root, port, transfers } = await startReceiver();
    const [a, b] = [pattern(100_000, 1), pattern(100_000, 2)];
    const [ca, cb] = await Promise.all([kit.connect(port), kit.connect(port)]);
    const verdicts = Promise.all([verdictFrom(ca), verdictFrom(cb)]);
    ca.write(Buffer.concat([header('same.bin', a), a.subarray(0, 50_000)]));
    cb.write(Buffer.concat([header('same.bin', b), b.subarray(0, 50_000)]));
    ca.write(a.subarray(50_000));
    cb.write(b.subarray(50_000));
    const [va, vb] = await verdicts;
    await transfers.next('the first of two transfers to one name');
    await transfers.next('the second of two transfers to one name');
    expect([va.ok, vb.ok].sort(), 'exactly one transfer must win').toEqual([false, true]);
    const loser = va.ok ? vb : va;
    expect(loser).toMatchObject({ ok: false, code: 'exists' });
    expectBytes(await readFile(join(root, 'same.bin')), va.ok ? a : b, 'the winner, saved whole');
    expect(await readdir(root)).toEqual(['same.bin']);
  });

  it('works with your sender from task 4, through a connection that re-chunks the bytes', async () => {
    const { area, root, port, transfers } = await startReceiver();
    const body = pattern(256 * 1024);
    const local = join(area, 'local.bin');
    await writeFile(local, body);
    const proxy = await startProxy(kit, port, { toServer: { chunker: (bytes) => randomChunks(bytes, 4, 4096) } });
    const verdict = await withDeadline(sendFile(await kit.connect(proxy.port), local, 'shared.bin'), {
      ms: 5_000,
      message: 'sendFile never finished',
    });
    expect(verdict).toStrictEqual({ ok: true, name: 'shared.bin', size: body.length, sha256: sha256(body) });
    await transfers.next('a transfer from sendFile');
    expectBytes(await readFile(join(root, 'shared.bin')), body, 'the saved file');

    const again = await withDeadline(sendFile(await kit.connect(port), local, 'shared.bin'), {
      message: 'sendFile never finished',
    });
    expect(again, 'sending the same name twice').toMatchObject({ ok: false, code: 'exists' });
  });
});

/** Writes `bytes` and resolves once the kernel has them (so a reset after it cannot discard them). */
function writeAll(client: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => client.write(bytes, (err) => (err ? reject(err) : resolve())));
}

/** The files in `root` that are the receiver's temporary files. */
async function leftovers(root: string): Promise<string[]> {
  return (await readdir(root)).filter((name) => name.startsWith('.upload-'));
}

describe('Task 7: the receiver, when senders vanish, race and misbehave', () => {
  const body = pattern(100_000);
  // Every cut point: right after the header (0%), then every tenth of the body.
  const cuts = Array.from({ length: 11 }, (_, tenth) => tenth * 10);
  const ways: Array<['FIN (end)' | 'RST (reset)']> = [['FIN (end)'], ['RST (reset)']];
  describe.each(ways)('a sender that stops with a %s', (way) => {
    it.each(cuts)(
      'after the header and %i% of the body: a verdict comes, no temporary file stays, the quota comes back',
      async (percent) => {
        // The whole quota is declared: a cut that kept its reservation would lock out the next sender.
        const { root, port, transfers } = await startReceiver({ quota: body.length });
        const head = header('cut.bin', body);
        for (let attempt = 1; attempt <= 3; attempt++) {
          const client = await kit.connect(port);
          client.on('error', () => {}); // a reset client may see its own error
          await writeAll(client, Buffer.concat([head, body.subarray(0, (body.length * percent) / 100)]));
          if (way === 'FIN (end)') client.end();
          else client.resetAndDestroy();
          const verdict = await transfers.next(`a sender that stopped with a ${way} after ${percent}% of the body`);
          expect(await leftovers(root), 'no .upload-*.tmp may stay after a cut').toEqual([]);
          if (verdict.ok) {
            // Only a complete body may be saved, and it is saved whole.
            expect(percent, `a body cut at ${percent}% was saved`).toBe(100);
            expectBytes(await readFile(join(root, 'cut.bin')), body, 'the saved file');
            return;
          }
          expect(verdict.code, 'a body that stops short must get short-body').toBe('short-body');
        }
        // Three cuts later, the whole quota must still be free.
        expect(
          await send(port, header('after.bin', body), body),
          'a sender after the cuts declares the whole quota: every cut must have given its reservation back',
        ).toMatchObject({ ok: true });
      },
    );
  });

  it('reserves the quota in the same step as it checks it: of many headers at once, only what fits is accepted', async () => {
    const { root, port, server, transfers } = await startReceiver({ quota: 1000 });
    const count = 8;
    const bodies = Array.from({ length: count }, (_, i) => pattern(600, i));
    let accepted = 0;
    const allAccepted = withDeadline(
      new Promise<void>((resolve) => server.on('connection', () => ++accepted === count && resolve())),
      { message: `the receiver did not accept ${count} connections` },
    );
    const clients = await Promise.all(bodies.map(() => kit.connect(port)));
    await allAccepted; // the receiver holds every connection before any header leaves
    const verdicts = Promise.all(clients.map((client) => verdictFrom(client)));
    // All headers leave in one go, so they arrive together; the bodies follow.
    clients.forEach((client, i) => client.write(header(`f${i}.bin`, bodies[i]!)));
    clients.forEach((client, i) => client.write(bodies[i]!));
    const all = await verdicts;
    for (let i = 0; i < count; i++) await transfers.next(`transfer ${i + 1} of ${count} at once`);
    expect(
      all.filter((v) => v.ok).length,
      '8 transfers of 600 bytes, quota 1000: exactly one fits. More means the quota was checked, then an await, then reserved',
    ).toBe(1);
    expect(all.filter((v) => !v.ok).map((v) => (v.ok ? '' : v.code))).toEqual(Array(count - 1).fill('quota'));
    expect(await readdir(root)).toHaveLength(1);
  });

  it('sends the timeout verdict to a sender that went silent, then ends the connection', async () => {
    const { root, port, transfers } = await startReceiver({ idleMs: 200 });
    const client = await kit.connect(port);
    const verdict = verdictFrom(client);
    client.write(Buffer.concat([header('slow.bin', body), body.subarray(0, 1000)]));
    // Then silence: the receiver's idle timer (200 ms) must answer, not just hang up.
    expect(await verdict, 'the sender must read the timeout verdict before the end').toMatchObject({
      ok: false,
      code: 'timeout',
    });
    await transfers.next('a silent sender');
    expect(await readdir(root)).toEqual([]);
  });

  it('sends short-body to a sender that half-closes (FIN) before the body is complete', async () => {
    const { root, port, transfers } = await startReceiver();
    const client = await kit.connect(port);
    const verdict = verdictFrom(client);
    client.end(Buffer.concat([header('half.bin', body), body.subarray(0, 500)]));
    expect(await verdict, 'a half-closed connection can still carry the verdict back').toMatchObject({
      ok: false,
      code: 'short-body',
    });
    await transfers.next('a sender that half-closed early');
    expect(await readdir(root)).toEqual([]);
  });

  it('sends ok to a sender that half-closes (FIN) right after a complete body', async () => {
    const { root, port, transfers } = await startReceiver();
    const client = await kit.connect(port);
    const verdict = verdictFrom(client);
    client.end(Buffer.concat([header('whole.bin', body), body]));
    expect(await verdict).toMatchObject({ ok: true, name: 'whole.bin', size: body.length });
    await transfers.next('a sender that half-closed after its body');
    expectBytes(await readFile(join(root, 'whole.bin')), body, 'the saved file');
  });

  it('answers bad-header to a header frame cut short by a half-close (FIN)', async () => {
    const { area, port, transfers } = await startReceiver();
    const before = await snapshotTree(area);
    const client = await kit.connect(port);
    const verdict = verdictFrom(client);
    client.end(header('cut.txt', Buffer.from('hello')).subarray(0, 24)); // the length and 20 of 105 header bytes
    expect(await verdict).toMatchObject({ ok: false, code: 'bad-header' });
    await transfers.next('a header cut short');
    expect(await snapshotTree(area)).toEqual(before);
  });

  it('keeps a refusal within the verdict limit, even when it quotes a long name of escaped characters', async () => {
    const { port, transfers } = await startReceiver();
    // 600 control characters: 3,600 bytes of header JSON, and a message that quotes them all would not fit.
    const name = '\u0001'.repeat(600);
    const verdict = await send(port, jsonFrame({ name, size: 1, sha256: 'c'.repeat(64) }));
    expect(verdict, `the verdict must be one frame of at most ${MAX_VERDICT_BYTES} bytes`).toMatchObject({
      ok: false,
      code: 'bad-name',
    });
    await transfers.next('a long bad name');
  });

  it('refuses a body longer than size with long-body, and saves nothing', async () => {
    const { root, port, transfers } = await startReceiver();
    const short = Buffer.from('hello');
    // The header says 5 bytes; 5 more follow at once.
    expect(await send(port, Buffer.concat([header('long.txt', short), short, Buffer.from('EXTRA')]))).toMatchObject({
      ok: false,
      code: 'long-body',
    });
    await transfers.next('a body longer than its size');
    expect(await readdir(root)).toEqual([]);
  });
});
