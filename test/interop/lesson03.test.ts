// Lesson 03 interop: Python 3 peers written from the README's Wire format
// section alone talk to the reference command server and client, both ways,
// and a Python server answers the same requests as the reference server.
import { expect, it } from 'vitest';
import { readUntilEnd, useNetKit, withDeadline } from '../../runner/kit/index.ts';
import { CommandClient } from '../../solutions/03-struct-framing/command-client.ts';
import { FrameType, RemoteCommandError } from '../../lessons/03-struct-framing/command-protocol.ts';
import { type CommandServerOptions, createCommandServer } from '../../solutions/03-struct-framing/command-server.ts';
import { encodeFrame } from '../../solutions/03-struct-framing/frame-codec.ts';
import { describeWithPython, runPeer, startPeer } from './python.ts';

const kit = useNetKit();

const MiB = 1024 * 1024;
const node = (script: string): [string, ...string[]] => [process.execPath, '-e', script];
// /usr/bin/printf and /usr/bin/true (Linux and macOS) start fast; Node.js,
// slower, only where stderr, an exit code or 1 MiB are needed.
const octal = (bytes: Buffer): string => [...bytes].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
const commands: CommandServerOptions['commands'] = {
  hello: ['/usr/bin/printf', 'hi\\n'],
  fail: node('process.stderr.write("oops\\n"); process.exitCode = 3'),
  bytes: ['/usr/bin/printf', octal(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))],
  big: node(
    `const b = Buffer.alloc(${MiB}); for (let i = 0; i < b.length; i++) b[i] = (i * 7) & 0xff; process.stdout.write(b)`,
  ),
  quiet: ['/usr/bin/true'],
};
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const BIG = Buffer.from(Array.from({ length: MiB }, (_, i) => (i * 7) & 0xff));

const ids: Buffer[] = [
  'hello',
  'fail',
  'nope',
  '', // empty: refused
  'x'.repeat(65), // too long: refused
  Buffer.from('626164ff', 'hex'), // not UTF-8
  'say "hi" \\ \t\u0001\u007f你',
  'bytes',
  'quiet',
  Buffer.alloc(65, 0xff), // too long and not UTF-8: the length is checked first
  '\uFEFFhello', // a byte order mark is part of the id
  '\u2028\u2029', // copied as their UTF-8 bytes by JSON.stringify and json.dumps alike
].map((id) => Buffer.from(id));
const run = (id: Buffer): Buffer => encodeFrame([Buffer.of(FrameType.RUN), id]);
/** Sent after the RUN frames: a keepalive, then one more RUN. */
const TAIL = Buffer.concat([Buffer.alloc(4), run(Buffer.from('hello'))]);

const exit = (code: number | null, signal: string | null = null) => ({
  exit: { code, signal },
  exit_raw: JSON.stringify({ code, signal }),
});
const hex = (s: string | Buffer): string => Buffer.from(s).toString('hex');
const expectedReplies = [
  { stdout: hex('hi\n'), stderr: '', ...exit(0) },
  { stdout: '', stderr: hex('oops\n'), ...exit(3) },
  { error: 'unknown command "nope"' },
  { error: 'command id must be 1 to 64 bytes, got 0' },
  { error: 'command id must be 1 to 64 bytes, got 65' },
  { error: 'command id is not valid UTF-8' },
  { error: `unknown command ${JSON.stringify(ids[6]!.toString())}` },
  { stdout: hex(ALL_BYTES), stderr: '', ...exit(0) },
  { stdout: '', stderr: '', ...exit(0) },
  { error: 'command id must be 1 to 64 bytes, got 65' },
  { error: `unknown command ${JSON.stringify(ids[10]!.toString())}` },
  { error: `unknown command ${JSON.stringify(ids[11]!.toString())}` },
  { stdout: hex('hi\n'), stderr: '', ...exit(0) },
];

interface PythonClientReport {
  replies: unknown[];
  expected_errors: string[];
  fin: boolean;
  reset: boolean;
}

async function pythonClient(
  port: number,
  job: { ids: string[]; tail?: string; after_fin?: number } = {
    ids: ids.map((id) => id.toString('hex')),
    tail: TAIL.toString('hex'),
  },
): Promise<PythonClientReport> {
  const result = await runPeer('l03_client.py', [String(port)], { input: JSON.stringify(job), timeoutMs: 30_000 });
  expect(result.code, `the Python client failed:\n${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as PythonClientReport;
}

/** Starts the Python server; `scripted` ids get the given raw bytes as their reply (see l03_server.py). */
async function pythonServer(
  scripted: Record<string, { send: string; after: 'fin' | 'rst' | 'stay' }> = {},
): Promise<number> {
  return Number((await startPeer('l03_server.py', [JSON.stringify(commands), JSON.stringify(scripted)])).firstLine);
}

/** A server's frames as replies: output joined per reply, EXIT and ERROR data as text, and how it ended. */
function replies(bytes: Buffer): string[] {
  const out: string[] = [];
  let stdout = '';
  let stderr = '';
  let at = 0;
  while (at + 4 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const payload = bytes.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    if (length === 0) continue;
    const data = payload.subarray(1);
    if (payload[0] === FrameType.STDOUT) stdout += data.toString('hex');
    else if (payload[0] === FrameType.STDERR) stderr += data.toString('hex');
    else {
      out.push(`type ${payload[0]} stdout=${stdout} stderr=${stderr} data=${data.toString()}`);
      stdout = stderr = '';
    }
  }
  out.push(at === bytes.length && !stdout && !stderr ? 'FIN between frames' : 'FIN inside a reply');
  return out;
}

/** Everything a server sends for `bytes` (written at once), until it ends its side. */
async function exchange(port: number, bytes: Buffer, end: boolean): Promise<Buffer> {
  const socket = await kit.connect(port, { allowHalfOpen: true });
  if (end) socket.end(bytes);
  else socket.write(bytes);
  return readUntilEnd(socket, { ms: 20_000, message: `the server on port ${port} never ended its side` });
}

describeWithPython('lesson 03 interop with Python peers written from the Wire format', () => {
  it('a Python client gets every reply from the reference server, and predicts every ERROR text', async () => {
    const report = await pythonClient(await kit.listen(createCommandServer({ commands })));
    expect(report.replies).toEqual(expectedReplies);
    for (const i of [2, 3, 4, 5, 6, 9, 10, 11]) {
      expect(report.expected_errors[i], `the Python client's ERROR text for id ${i}`).toBe(
        (expectedReplies[i] as { error: string }).error,
      );
    }
  });

  it('the reference CommandClient runs commands on a Python server', async () => {
    const client = new CommandClient(await kit.connect(await pythonServer()));
    const within = { ms: 20_000, message: 'the Python server did not answer' };
    const hello = await withDeadline(client.run('hello'), within);
    expect(hello.stdout.toString()).toBe('hi\n');
    expect(hello.exit).toEqual({ code: 0, signal: null });
    const fail = await withDeadline(client.run('fail'), within);
    expect(fail.stderr.toString()).toBe('oops\n');
    expect(fail.exit).toEqual({ code: 3, signal: null });
    expect((await withDeadline(client.run('bytes'), within)).stdout.equals(ALL_BYTES)).toBe(true);
    expect((await withDeadline(client.run('big'), within)).stdout.equals(BIG), '1 MiB of output, intact').toBe(true);
    const refused = await withDeadline(
      client.run('nope').catch((error: unknown) => error),
      within,
    );
    expect(refused).toBeInstanceOf(RemoteCommandError);
    expect((refused as Error).message).toBe('unknown command "nope"');
  });

  it('the reference server reads and drops what a client sends after an ERROR that ends the connection: no reset', async () => {
    const port = await kit.listen(createCommandServer({ commands }));
    const report = await pythonClient(port, {
      ids: [hex('hello')],
      tail: '000000030168690a', // a STDOUT frame, from the client
      after_fin: 1 << 20,
    });
    expect(report.replies).toEqual([expectedReplies[0], { error: 'frame type 0x01 is not a request (0x00 RUN)' }]);
    expect(report.reset, 'the server read on after its FIN, as the Wire format says, and sent no reset').toBe(false);
  });

  // Replies the reference CommandClient must refuse, from a real Python
  // server over real TCP: the run fails, the connection closes, and so
  // the next run fails too.
  const frameOf = (type: number, data: string | Buffer): string =>
    hex(encodeFrame([Buffer.of(type), Buffer.from(data)]));
  const exitOf = (json: string | Buffer): string => frameOf(FrameType.EXIT, json);
  const badReplies: Array<[string, string, 'fin' | 'rst' | 'stay']> = [
    ['a frame type it does not know (0x05)', frameOf(0x05, 'x'), 'stay'],
    ['a RUN frame from the server', frameOf(FrameType.RUN, 'x'), 'stay'],
    ['a frame header over 65,536', '00010001', 'stay'],
    ['an EXIT whose code is 1e300', exitOf('{"code":1e300,"signal":null}'), 'stay'],
    ['an EXIT whose reason is null', exitOf('{"code":0,"signal":null,"reason":null}'), 'stay'],
    ['an EXIT with NaN', exitOf('{"code":NaN,"signal":null}'), 'stay'],
    ['an EXIT after two byte order marks', exitOf('\uFEFF\uFEFF{"code":0,"signal":null}'), 'stay'],
    ['an EXIT that is not UTF-8', exitOf(Buffer.from('7b22636f6465223a302c227369676e616c223a22ff227d', 'hex')), 'stay'],
    ['the end of the connection before EXIT', frameOf(FrameType.STDOUT, 'hi'), 'fin'],
    ['a reset before EXIT', frameOf(FrameType.STDOUT, 'hi'), 'rst'],
  ];
  it.each(badReplies)('the reference CommandClient fails a run on %s', async (_what, bytes, after) => {
    const client = new CommandClient(await kit.connect(await pythonServer({ bad: { send: bytes, after } })));
    const within = { ms: 20_000, message: 'the CommandClient never settled the run' };
    const outcome = await withDeadline(
      client.run('bad').then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      ),
      within,
    );
    expect(outcome, 'the run must fail').toHaveProperty('error');
    expect((outcome as { error: unknown }).error).not.toBeInstanceOf(RemoteCommandError);
    const next = await withDeadline(
      client.run('hello').then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      ),
      within,
    );
    expect(next, 'the connection is closed: the next run fails too').toHaveProperty('error');
  });

  it('the reference CommandClient takes an EXIT however it is written: spaces, 0.0, duplicates, a leading BOM', async () => {
    const client = new CommandClient(
      await kit.connect(
        await pythonServer({
          a: { send: exitOf('{ "signal" : null , "code" : 0.0 }'), after: 'stay' },
          b: { send: exitOf('{"code":-1,"signal":null,"code":7,"extra":[1]}'), after: 'stay' },
          c: { send: exitOf('\uFEFF{"code":2,"signal":null}'), after: 'stay' },
        }),
      ),
    );
    const within = { ms: 20_000, message: 'the Python server did not answer' };
    expect((await withDeadline(client.run('a'), within)).exit).toEqual({ code: 0, signal: null });
    expect((await withDeadline(client.run('b'), within)).exit, 'a duplicate counts with its last value').toEqual({
      code: 7,
      signal: null,
    });
    expect((await withDeadline(client.run('c'), within)).exit, 'one byte order mark at the start is skipped').toEqual({
      code: 2,
      signal: null,
    });
  });

  it('a Python client gets the same replies from the Python server', async () => {
    const report = await pythonClient(await pythonServer());
    expect(report.replies).toEqual(expectedReplies);
  });

  it.each([
    ['every kind of RUN frame, then a FIN', Buffer.concat([...ids.map(run), TAIL]), true],
    [
      'a RUN, then a frame that is not RUN',
      Buffer.concat([run(Buffer.from('hello')), Buffer.from('000000030168690a', 'hex')]),
      false,
    ],
    ['a header of ff ff ff ff', Buffer.from('ffffffff', 'hex'), false],
    [
      'two RUNs, then a header of ff ff ff ff, in one write',
      Buffer.concat([run(Buffer.from('hello')), run(Buffer.from('nope')), Buffer.from('ffffffff', 'hex')]),
      false,
    ],
    [
      'two RUNs, then a frame cut inside its payload and a FIN, in one write',
      Buffer.concat([run(Buffer.from('hello')), run(Buffer.from('fail')), Buffer.from('000000050068', 'hex')]),
      true,
    ],
    ['a header that is 1 read as little-endian (01 00 00 00)', Buffer.from('01000000', 'hex'), false],
    ['a frame of type 0xff', Buffer.from('00000001ff', 'hex'), false],
    ['a little-endian length (e8 03 00 00)', Buffer.from('e8030000', 'hex'), false],
    ['a frame cut inside its payload, then a FIN', Buffer.from('000000050068', 'hex'), true],
    ['a frame cut inside its header, then a FIN', Buffer.from('0000', 'hex'), true],
    ['a frame cut after its header, then a FIN', Buffer.from('00000001', 'hex'), true],
  ])('the Python server and the reference server answer %s the same way', async (_what, bytes, end) => {
    const reference = await exchange(await kit.listen(createCommandServer({ commands })), bytes, end);
    const python = await exchange(await pythonServer(), bytes, end);
    expect(replies(python)).toEqual(replies(reference));
  });
});
