// Lesson 04 interop: Python 3 peers written from the README's Wire format
// section alone (peers/l04_sender.py, peers/l04_receiver.py) against the
// reference receiver and sender, both ways, refusals included.
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import {
  expectBytes,
  pattern,
  readUntilEnd,
  sha256,
  snapshotTree,
  useNetKit,
  useTempDirs,
  withDeadline,
} from '../../runner/kit/index.ts';
import { jsonFrame } from '../../lessons/04-file-transfer/protocol.ts';
import type { Verdict } from '../../lessons/04-file-transfer/protocol.ts';
import { createReceiver } from '../../solutions/04-file-transfer/receiver.ts';
import { sendFile } from '../../solutions/04-file-transfer/send-file.ts';
import { describeWithPython, runPeer, startPeer } from './python.ts';

const kit = useNetKit();
const tempDir = useTempDirs('wb04-interop-');
const HOST = '127.0.0.1';
/** A reference receiver in a fresh folder, and a promise of its next 'transfer' verdict. */
async function referenceReceiver(quota = 64 * 1024 * 1024) {
  const area = await tempDir();
  const root = join(area, 'inbox');
  await mkdir(root);
  const server = createReceiver({ root, quota, idleMs: 5_000 });
  const port = await kit.listen(server);
  const nextTransfer = (): Promise<Verdict> =>
    withDeadline(new Promise<Verdict>((resolve) => server.once('transfer', resolve)), {
      ms: 20_000, // it starts before the Python peer, which can take seconds to start on a loaded machine
      message: "the reference receiver never emitted 'transfer'",
    });
  return { area, root, port, nextTransfer };
}

/** A local file holding `bytes`. */
async function fileWith(bytes: Uint8Array): Promise<string> {
  const path = join(await tempDir(), 'local.bin');
  await writeFile(path, bytes);
  return path;
}

describeWithPython('lesson 04 interop: a Python sender and the reference receiver', () => {
  it('sends a file of every byte value that the reference receiver saves whole', async () => {
    const { root, port, nextTransfer } = await referenceReceiver();
    const body = pattern(300_000);
    const transfer = nextTransfer();
    const result = await runPeer('l04_sender.py', [HOST, String(port), await fileWith(body), 'from-python.bin']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toStrictEqual({
      ok: true,
      name: 'from-python.bin',
      size: body.length,
      sha256: sha256(body),
    });
    expect(await transfer).toMatchObject({ ok: true });
    expectBytes(await readFile(join(root, 'from-python.bin')), body, 'the saved file');
  });

  it("writes the header's exact bytes, as JSON.stringify would (a name with quotes and non-ASCII)", async () => {
    const name = 'résumé "final" 数据.txt';
    const body = Buffer.from('hello');
    const path = await fileWith(body);
    // A stand-in receiver that keeps every byte until the sender's FIN, then answers ok.
    const captured: Buffer[] = [];
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      void readUntilEnd(socket, { ms: 15_000, message: 'the Python sender never half-closed' }).then((bytes) => {
        captured.push(bytes);
        socket.end(jsonFrame({ ok: true, name, size: body.length, sha256: sha256(body) }));
      });
    });
    const port = await kit.listen(server);
    const result = await runPeer('l04_sender.py', [HOST, String(port), path, name, '--half-close']);
    expect(result.code, result.stderr).toBe(0);
    expectBytes(
      captured[0] ?? Buffer.alloc(0),
      Buffer.concat([jsonFrame({ name, size: body.length, sha256: sha256(body) }), body]),
      "the Python sender's bytes",
    );
  });

  it('gets ok after a half-close (FIN) right after its body', async () => {
    const { root, port } = await referenceReceiver();
    const body = pattern(70_000);
    const result = await runPeer('l04_sender.py', [
      HOST,
      String(port),
      await fileWith(body),
      'half.bin',
      '--half-close',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, size: body.length });
    expect(await readdir(root)).toEqual(['half.bin']);
  });

  it('gets short-body after a half-close (FIN) in the middle of its body', async () => {
    const { root, port } = await referenceReceiver();
    const body = pattern(70_000);
    const path = await fileWith(body);
    const result = await runPeer('l04_sender.py', [
      HOST,
      String(port),
      path,
      'cut.bin',
      '--half-close',
      '--body-bytes',
      '30000',
    ]);
    expect(result.code, result.stderr).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, code: 'short-body' });
    expect(await readdir(root)).toEqual([]);
  });

  it('is refused bad-name for ../x, and bad-header for a duplicate "name"; nothing is written', async () => {
    const { area, port, nextTransfer } = await referenceReceiver();
    const before = await snapshotTree(area);
    const body = pattern(200_000);
    const path = await fileWith(body);
    let transfer = nextTransfer();
    const traversal = await runPeer('l04_sender.py', [HOST, String(port), path, '../x']);
    expect(traversal.code, traversal.stderr).toBe(1);
    expect(JSON.parse(traversal.stdout)).toMatchObject({ ok: false, code: 'bad-name' });
    await transfer;

    transfer = nextTransfer();
    const twice = `{"name":"../x","name":"ok.txt","size":${body.length},"sha256":"${sha256(body)}"}`;
    const duplicate = await runPeer('l04_sender.py', [HOST, String(port), path, 'ok.txt', '--header-json', twice]);
    expect(duplicate.code, duplicate.stderr).toBe(1);
    expect(JSON.parse(duplicate.stdout)).toMatchObject({ ok: false, code: 'bad-header' });
    await transfer;
    expect(await snapshotTree(area)).toEqual(before);
  });
});

async function pythonReceiver(quota = 64 * 1024 * 1024, misbehave?: string) {
  const area = await tempDir();
  const root = join(area, 'inbox');
  await mkdir(root);
  const peer = await startPeer('l04_receiver.py', [
    root,
    String(quota),
    ...(misbehave ? ['--after-header', misbehave] : []),
  ]);
  return { area, root, port: Number(peer.firstLine) };
}

// Headers from the Wire format's rules, sent by the Python sender as raw
// bytes to the reference receiver and to the Python receiver: both must
// give the same verdict, the one the rules say.
describeWithPython('lesson 04 interop: both receivers read every kind of header alike', () => {
  const body = Buffer.from('abc');
  const sha = sha256(body);
  const json = (text: string): Buffer => Buffer.from(text);
  const deepPrefix = `{"name":"deep","size":3,"sha256":"${sha}","x":`;
  const depth = Math.floor((4096 - deepPrefix.length - 1) / 2);
  const headers: Array<[string, Buffer, string]> = [
    ['spaces, other order, escapes', json(` { "sha256" : "${sha}" , "size" : 3 , "n\\u0061me" : "\\u0065sc" } `), 'ok'],
    ['a size of 3.0', json(`{"name":"f30","size":3.0,"sha256":"${sha}"}`), 'ok'],
    [
      'one byte order mark',
      Buffer.concat([Buffer.from('efbbbf', 'hex'), json(`{"name":"bom","size":3,"sha256":"${sha}"}`)]),
      'ok',
    ],
    ['a lone surrogate in an ignored member', json(`{"name":"ls","size":3,"sha256":"${sha}","x":"\\ud800"}`), 'ok'],
    [
      `nesting ${depth} deep in an ignored member`,
      json(`${deepPrefix}${'['.repeat(depth)}${']'.repeat(depth)}}`),
      'ok',
    ],
    [
      'two byte order marks',
      Buffer.concat([Buffer.from('efbbbfefbbbf', 'hex'), json(`{"name":"b2","size":3,"sha256":"${sha}"}`)]),
      'bad-header',
    ],
    [
      'an encoded surrogate (ed a0 80)',
      Buffer.concat([json('{"name":"'), Buffer.from('eda080', 'hex'), json(`","size":3,"sha256":"${sha}"}`)]),
      'bad-header',
    ],
    ['NaN', json(`{"name":"n","size":NaN,"sha256":"${sha}"}`), 'bad-header'],
    ['a duplicate by escape', json(`{"name":"a","n\\u0061me":"b","size":3,"sha256":"${sha}"}`), 'bad-header'],
    ['a duplicate inside an array', json(`{"name":"a","size":3,"sha256":"${sha}","x":[{"k":1,"k":2}]}`), 'bad-header'],
    ['a size of 2^53', json(`{"name":"a","size":9007199254740992,"sha256":"${sha}"}`), 'bad-header'],
    ['an uppercase sha256', json(`{"name":"a","size":3,"sha256":"${sha.toUpperCase()}"}`), 'bad-header'],
    ['a lone surrogate in the name', json(`{"name":"a\\ud800","size":3,"sha256":"${sha}"}`), 'bad-name'],
    ['a C1 control character (U+0085) in the name', json(`{"name":"a\\u0085","size":3,"sha256":"${sha}"}`), 'bad-name'],
    ['the device name "COM¹.txt"', json(`{"name":"com\\u00b9.txt","size":3,"sha256":"${sha}"}`), 'bad-name'],
    ['a folder of that name', json(`{"name":"a-folder","size":3,"sha256":"${sha}"}`), 'exists'],
    ['a symbolic link to nothing of that name', json(`{"name":"dangling","size":3,"sha256":"${sha}"}`), 'exists'],
  ];

  async function verdictFrom(port: number, header: Buffer): Promise<string> {
    const path = await fileWith(body);
    const result = await runPeer('l04_sender.py', [
      HOST,
      String(port),
      path,
      'x',
      '--header-hex',
      header.toString('hex'),
    ]);
    expect(result.code, result.stderr).not.toBe(2);
    const verdict = JSON.parse(result.stdout) as Verdict;
    return verdict.ok ? 'ok' : verdict.code;
  }

  it.each(headers)('%s', async (_what, header, code) => {
    const reference = await referenceReceiver();
    const python = await pythonReceiver();
    for (const root of [reference.root, python.root]) {
      await mkdir(join(root, 'a-folder'));
      await symlink(join(root, 'nowhere'), join(root, 'dangling'));
    }
    expect(await verdictFrom(reference.port, header), 'the reference receiver').toBe(code);
    expect(await verdictFrom(python.port, header), 'the Python receiver').toBe(code);
  });
});

describeWithPython('lesson 04 interop: the reference sender and a Python receiver', () => {
  // A receiver that never sends a verdict: the sender must fail with that
  // reason, not with its body's "Premature close".
  it.each([
    ['ends the connection right after the header', 'fin', /ended|closed/],
    ['resets the connection right after the header', 'rst', /ECONNRESET|EPIPE/],
    ['announces a verdict of 4097 bytes', '00001001', /4097/],
  ])('fails, saying why, when the Python receiver %s', async (_what, misbehave, reason) => {
    const { port } = await pythonReceiver(64 * 1024 * 1024, misbehave);
    const error = await withDeadline(
      sendFile(await kit.connect(port), await fileWith(pattern(4 * 1024 * 1024)), 'lost.bin').then(
        (verdict) => new Error(`resolved with ${JSON.stringify(verdict)}`),
        (e: Error) => e,
      ),
      { ms: 15_000, message: 'sendFile neither failed nor resolved' }, // a Python peer on a loaded machine
    );
    expect(error.message).toMatch(reason);
    expect(error.message).not.toMatch(/Premature close/);
  });

  it('sends a file that the Python receiver saves whole', async () => {
    const { root, port } = await pythonReceiver();
    const body = pattern(1024 * 1024 + 17);
    const verdict = await withDeadline(sendFile(await kit.connect(port), await fileWith(body), '数据 "v2".bin'), {
      ms: 15_000, // a Python peer on a loaded machine
      message: 'sendFile to the Python receiver never finished',
    });
    expect(verdict).toStrictEqual({ ok: true, name: '数据 "v2".bin', size: body.length, sha256: sha256(body) });
    expectBytes(await readFile(join(root, '数据 "v2".bin')), body, 'the file the Python receiver saved');
    expect(await readdir(root)).toEqual(['数据 "v2".bin']);
  });

  it('is refused by the Python receiver mid-body (exists, quota, a device name) and stops sending', async () => {
    const { area, root, port } = await pythonReceiver(1_000_000);
    await writeFile(join(root, 'taken.bin'), 'already here');
    const before = await snapshotTree(area);
    const body = pattern(500_000);
    const path = await fileWith(body);
    for (const [name, code] of [
      ['taken.bin', 'exists'],
      ['nul.txt', 'bad-name'],
      ['../x', 'bad-name'],
    ] as const) {
      const verdict = await withDeadline(
        kit.connect(port).then((socket) => sendFile(socket, path, name)),
        { ms: 15_000, message: `sendFile of ${name} to the Python receiver never finished` }, // a Python peer on a loaded machine
      );
      expect(verdict, `the verdict for ${name}`).toMatchObject({ ok: false, code });
    }
    const big = await fileWith(pattern(1_500_000));
    const quota = await kit.connect(port).then((socket) => sendFile(socket, big, 'big.bin'));
    expect(quota).toMatchObject({ ok: false, code: 'quota' });
    expect(await snapshotTree(area)).toEqual(before);
  });
});
