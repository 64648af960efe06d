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
  { stdout: hex('hi\n'), stderr: '', ...exit(0) },
];

interface PythonClientReport {
  replies: unknown[];
  expected_errors: string[];
  fin: boolean;
}

async function pythonClient(port: number): Promise<PythonClientReport> {
  const job = { ids: ids.map((id) => id.toString('hex')), tail: TAIL.toString('hex') };
  const result = await runPeer('l03_client.py', [String(port)], { input: JSON.stringify(job), timeoutMs: 30_000 });
  expect(result.code, `the Python client failed:\n${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as PythonClientReport;
}

async function pythonServer(): Promise<number> {
  return Number((await startPeer('l03_server.py', [JSON.stringify(commands)])).firstLine);
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
    for (const i of [2, 3, 4, 5, 6]) {
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
