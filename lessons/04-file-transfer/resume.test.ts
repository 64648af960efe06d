import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ScriptedPeer,
  expectBytes,
  pattern,
  readExactly,
  sha256,
  snapshotTree,
  startProxy,
  useNetKit,
  useTempDirs,
  withDeadline,
} from '../../runner/kit/index.ts';
import { takeFrame } from './frame.ts';
import { type Header, type Verdict, jsonFrame } from './protocol.ts';
import { createResumableReceiver, sendResumable } from './resume.ts';

const kit = useNetKit();
const tempDir = useTempDirs('wb04-resume-');
const MiB = 1024 * 1024;

function header(name: string, body: Uint8Array): Buffer {
  return jsonFrame({ name, size: body.length, sha256: sha256(body) });
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
    next(what: string): Promise<Verdict> {
      const ready = seen.shift();
      if (ready) return Promise.resolve(ready);
      return withDeadline(new Promise<Verdict>((resolve) => waiting.push(resolve)), {
        ms: 5_000,
        message: `your resumable receiver never emitted 'transfer' after ${what}`,
      });
    },
  };
}

async function startReceiver({ quota = 64 * MiB } = {}) {
  const area = await tempDir();
  const root = join(area, 'inbox');
  await mkdir(root);
  const server = createResumableReceiver({ root, quota, idleMs: 5_000 });
  const port = await kit.listen(server);
  return { area, root, port, server, transfers: watchTransfers(server) };
}

/** Reads one frame from a real socket and parses its JSON. */
async function jsonFrameFrom(socket: Socket, what: string): Promise<Record<string, unknown>> {
  const length = (await readExactly(socket, 4, { ms: 5_000, message: `the receiver never sent ${what}` })).readUInt32BE(
    0,
  );
  const payload = await readExactly(socket, length, { ms: 5_000, message: `the receiver sent only part of ${what}` });
  return JSON.parse(payload.toString()) as Record<string, unknown>;
}

/** A local file holding `bytes`, in its own temp folder. */
async function fileWith(bytes: Uint8Array, name = 'data.bin'): Promise<string> {
  const path = join(await tempDir(), name);
  await writeFile(path, bytes);
  return path;
}

/**
 * A scripted resumable receiver for testing sendResumable alone: it answers
 * the header with `answer(header)` and the body with an ok verdict.
 */
function fakeReceiver(answer: (h: Header) => object) {
  let header: Header | undefined;
  let offset = 0;
  let pending = Buffer.alloc(0);
  const body: Buffer[] = [];
  const peer = new ScriptedPeer((chunk, self) => {
    if (!header) {
      pending = Buffer.concat([pending, chunk]);
      const frame = takeFrame(pending, 1 << 20);
      if (!frame) return;
      header = JSON.parse(frame.payload.toString()) as Header;
      const reply = answer(header);
      offset = (reply as { offset?: number }).offset ?? 0;
      self.push(jsonFrame(reply));
      chunk = frame.rest;
      if (chunk.length === 0 && header.size - offset > 0) return;
    }
    body.push(Buffer.from(chunk));
    if (offset + Buffer.concat(body).length === header.size) {
      self.push(jsonFrame({ ok: true, name: header.name, size: header.size, sha256: header.sha256 }));
    }
  });
  return { peer, body: () => Buffer.concat(body), header: () => header };
}

describe('Task 8 (challenge): resume an interrupted transfer', () => {
  it('sendResumable sends only the bytes from the offset the receiver offers', async () => {
    const bytes = pattern(5000);
    const fake = fakeReceiver(() => ({ ok: true, offset: 1000 }));
    const verdict = await withDeadline(sendResumable(fake.peer, await fileWith(bytes)), {
      message: 'sendResumable never finished',
    });
    expect(fake.header(), 'the header: the same as in task 4').toStrictEqual({
      name: 'data.bin',
      size: 5000,
      sha256: sha256(bytes),
    });
    expectBytes(fake.body(), bytes.subarray(1000), 'the body sent after an offer of offset 1000 (bytes 1000 to 4999)');
    expect(verdict).toMatchObject({ ok: true, size: 5000 });
  });

  it('sendResumable returns a refusal that comes instead of an offer, and sends no body', async () => {
    const refusal = { ok: false, code: 'exists', message: 'already there' };
    const fake = fakeReceiver(() => refusal);
    const verdict = await withDeadline(sendResumable(fake.peer, await fileWith(pattern(5000))), {
      message: 'sendResumable never finished',
    });
    expect(verdict).toStrictEqual(refusal);
    expect(fake.body().length, 'body bytes sent after a refusal').toBe(0);
  });

  it('sendResumable refuses an offer past the end of the file, and sends no body', async () => {
    const fake = fakeReceiver((h) => ({ ok: true, offset: h.size + 1 }));
    const error = await withDeadline(sendResumable(fake.peer, await fileWith(pattern(100))), {
      message: 'sendResumable neither failed nor finished',
    }).then(
      (verdict) => {
        throw new Error(
          `sendResumable resolved with ${JSON.stringify(verdict)} after an offer past the end of the file; it must reject`,
        );
      },
      (e: Error) => e,
    );
    expect(fake.header(), `sendResumable must send the header first (it failed with: ${error.message})`).toMatchObject({
      size: 100,
    });
    expect(fake.body().length, 'body bytes sent after an impossible offer').toBe(0);
  });

  it('the receiver offers offset 0 for a new file, then saves it', async () => {
    const { root, port, transfers } = await startReceiver();
    const body = pattern(10_000);
    const client = await kit.connect(port);
    client.write(header('new.bin', body));
    expect(await jsonFrameFrom(client, 'the offer frame'), 'the offer for a file never seen before').toStrictEqual({
      ok: true,
      offset: 0,
    });
    client.write(body);
    expect(await jsonFrameFrom(client, 'the verdict frame')).toMatchObject({ ok: true, name: 'new.bin', size: 10_000 });
    await transfers.next('a new file');
    expectBytes(await readFile(join(root, 'new.bin')), body, 'the saved file');
    expect(await readdir(root)).toEqual(['new.bin']);
  });

  it('resumes a transfer cut halfway: the second attempt sends only the rest', async () => {
    const { root, port, transfers } = await startReceiver();
    const bytes = pattern(2 * MiB);
    const local = await fileWith(bytes, 'video.bin');
    const head = header('video.bin', bytes);
    const part = `.${sha256(bytes)}.part`;

    const cutting = await startProxy(kit, port, { toServer: { cutAfter: head.length + MiB } });
    await expect(
      withDeadline(sendResumable(await kit.connect(cutting.port), local), {
        message: 'sendResumable did not fail when the connection was cut',
      }),
    ).rejects.toThrow();
    expect(await transfers.next('a connection cut halfway')).toMatchObject({ ok: false });
    expect(await readdir(root), `the receiver must keep the bytes it got in ${part}`).toEqual([part]);
    const kept = (await stat(join(root, part))).size;
    expect(kept, 'bytes kept in the .part file').toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(MiB);

    let sentToReceiver = 0;
    const counting = await startProxy(kit, port, {
      toServer: {
        tamper: (chunk, offset) => {
          sentToReceiver = Math.max(sentToReceiver, offset + chunk.length);
          return chunk;
        },
      },
    });
    const verdict = await withDeadline(sendResumable(await kit.connect(counting.port), local), {
      ms: 5_000,
      message: 'the resumed transfer never finished',
    });
    expect(verdict).toMatchObject({ ok: true, name: 'video.bin', size: bytes.length });
    await transfers.next('the resumed transfer');
    expect(
      sentToReceiver,
      `the second attempt must send the header and only the ${bytes.length - kept} bytes missing`,
    ).toBe(head.length + bytes.length - kept);
    expectBytes(await readFile(join(root, 'video.bin')), bytes, 'the file put together from two attempts');
    expect(await readdir(root), 'after the commit the .part file is gone').toEqual(['video.bin']);
  });

  it('checks the whole file: a corrupted .part fails the hash, is deleted, and the next attempt starts over', async () => {
    const { root, port, transfers } = await startReceiver();
    const bytes = pattern(64 * 1024);
    const partPath = join(root, `.${sha256(bytes)}.part`);
    const corrupt = Buffer.from(bytes.subarray(0, 30_000));
    corrupt[123]! ^= 0xff; // as if the disk or an earlier attempt got a byte wrong
    await writeFile(partPath, corrupt);
    const local = await fileWith(bytes, 'doc.bin');

    const first = await withDeadline(sendResumable(await kit.connect(port), local), {
      message: 'sendResumable never finished',
    });
    expect(first, 'the whole-file hash must catch the bad byte in the old part').toMatchObject({
      ok: false,
      code: 'hash-mismatch',
    });
    await transfers.next('a transfer with a corrupt .part');
    expect(await readdir(root), 'nothing committed, and the bad .part deleted').toEqual([]);

    const second = await withDeadline(sendResumable(await kit.connect(port), local), {
      message: 'sendResumable never finished',
    });
    expect(second).toMatchObject({ ok: true });
    await transfers.next('a fresh transfer');
    expectBytes(await readFile(join(root, 'doc.bin')), bytes, 'the saved file');
  });

  it('offers 0 when the .part is longer than the file, and still saves it', async () => {
    const { root, port, transfers } = await startReceiver();
    const bytes = pattern(1000);
    await writeFile(join(root, `.${sha256(bytes)}.part`), pattern(1500));
    const client = await kit.connect(port);
    client.write(header('short.bin', bytes));
    expect(await jsonFrameFrom(client, 'the offer frame')).toStrictEqual({ ok: true, offset: 0 });
    client.write(bytes);
    expect(await jsonFrameFrom(client, 'the verdict frame')).toMatchObject({ ok: true });
    await transfers.next('a transfer over a too-long .part');
    expectBytes(await readFile(join(root, 'short.bin')), bytes, 'the saved file');
  });

  it('answers busy while the same file is being received on another connection', async () => {
    const { port, transfers } = await startReceiver();
    const bytes = pattern(1000);
    const first = await kit.connect(port);
    first.write(header('twice.bin', bytes));
    expect(await jsonFrameFrom(first, 'the offer to the first connection')).toMatchObject({ ok: true, offset: 0 });

    const second = await kit.connect(port);
    second.write(header('twice.bin', bytes));
    expect(await jsonFrameFrom(second, 'the answer to the second connection')).toMatchObject({
      ok: false,
      code: 'busy',
    });
    await transfers.next('the refused second connection');

    first.write(bytes);
    expect(await jsonFrameFrom(first, 'the verdict to the first connection')).toMatchObject({ ok: true });
  });

  it('claims the file in the same step as it checks busy and the quota: of headers at once, one is offered', async () => {
    const { port, server, transfers } = await startReceiver({ quota: 1500 });
    const bytes = pattern(1000);
    const count = 6;
    let accepted = 0;
    const allAccepted = withDeadline(
      new Promise<void>((resolve) => server.on('connection', () => ++accepted === count && resolve())),
      { message: `the receiver did not accept ${count} connections` },
    );
    const clients = await Promise.all(Array.from({ length: count }, () => kit.connect(port)));
    await allAccepted; // the receiver holds every connection before any header leaves
    for (const client of clients) client.write(header('same.bin', bytes));
    const answers = await Promise.all(clients.map((client) => jsonFrameFrom(client, 'the answer to a header')));
    const offered = answers.filter((answer) => answer.ok === true);
    expect(offered, 'exactly one connection may get an offer; the others get busy').toHaveLength(1);
    expect(answers.filter((answer) => answer.code === 'busy')).toHaveLength(count - 1);
    for (let i = 1; i < count; i++) await transfers.next('a refused connection');
    const winner = clients[answers.indexOf(offered[0]!)]!;
    winner.write(bytes);
    expect(await jsonFrameFrom(winner, 'the verdict to the winner')).toMatchObject({ ok: true });
  });

  it('still refuses bad names before offering anything, and writes nothing', async () => {
    const { area, port, transfers } = await startReceiver();
    const before = await snapshotTree(area);
    const client = await kit.connect(port);
    client.write(header('../escape.bin', pattern(10)));
    expect(await jsonFrameFrom(client, 'the answer to a bad name')).toMatchObject({ ok: false, code: 'bad-name' });
    await transfers.next('a bad name');
    expect(await snapshotTree(area)).toEqual(before);
  });

  it('resumes (and sends) a 0-byte file', async () => {
    const { root, port, transfers } = await startReceiver();
    const verdict = await withDeadline(
      sendResumable(await kit.connect(port), await fileWith(Buffer.alloc(0), 'empty')),
      { message: 'sendResumable never finished' },
    );
    expect(verdict).toMatchObject({ ok: true, size: 0 });
    await transfers.next('a 0-byte transfer');
    expect(await readdir(root)).toEqual(['empty']);
  });
});
