// Lesson 02 interop: Python 3 peers written from the README's Wire format
// section alone talk to the reference server and client, both ways, and a
// Python server answers the same bytes as the reference server, byte for byte.
import { expect, it } from 'vitest';
import { readUntilEnd, useNetKit, withDeadline } from '../../runner/kit/index.ts';
import { type Allowlist, quote } from '../../solutions/02-sticky-packets/allowlist.ts';
import { createCommandServer } from '../../solutions/02-sticky-packets/command-server.ts';
import { CommandError, RemoteClient } from '../../solutions/02-sticky-packets/remote-client.ts';
import { describeWithPython, runPeer, startPeer } from './python.ts';

const kit = useNetKit();

// Real commands, the same for both servers. /usr/bin/printf and /usr/bin/true
// (Linux and macOS) start fast; Node.js, slower, only where stderr and an
// exit code are needed.
const node = (script: string): [string, ...string[]] => [process.execPath, '-e', script];
const allowlist: Allowlist = {
  hello: ['/usr/bin/printf', 'hello\\n'],
  both: node('process.stdout.write("a\\nb"); process.stderr.write("warn\\n"); process.exitCode = 3'),
  blank: ['/usr/bin/printf', '\\n'],
  bytes: ['/usr/bin/printf', '\\170\\015\\012\\171\\377\\000'], // 78 0d 0a 79 ff 00
  wide: ['/usr/bin/printf', 'w'.repeat(4093)],
  silent: ['/usr/bin/true'],
};

/** Request lines (without 0x0A), as bytes: known names, refused names of every kind. */
const requests: Buffer[] = [
  'hello',
  'both',
  'nope',
  'say "hi" \\ back',
  Buffer.from('6101627f631b', 'hex'), // a, 0x01, b, DEL, c, ESC
  '😀'.repeat(70), // 70 characters, 140 UTF-16 units, 280 bytes: cut after 64 characters
  Buffer.from('68ff', 'hex'), // not UTF-8
  '\uFEFFhello', // a byte order mark is a character like any other
  'hello\r',
  'blank',
  'bytes',
  'wide',
  'silent',
].map((r) => Buffer.from(r));

/** What a correct server sends for `requests`, reply by reply, as the Python client reports them. */
const hex = (s: string | Buffer): string => Buffer.from(s).toString('hex');
const refusal = (r: Buffer): { error: string } => ({ error: `unknown command ${quote(r.toString('utf8'))}` });
const expectedReplies = [
  { out: [hex('hello')], err: [], exit: 0 },
  { out: [hex('a'), hex('b')], err: [hex('warn')], exit: 3 },
  refusal(requests[2]!),
  refusal(requests[3]!),
  refusal(requests[4]!),
  refusal(requests[5]!),
  { error: 'request is not valid UTF-8' },
  refusal(requests[7]!),
  refusal(requests[8]!),
  { out: [''], err: [], exit: 0 },
  { out: ['780d', '79ff00'], err: [], exit: 0 },
  { error: 'output line longer than 4092 bytes' },
  { out: [], err: [], exit: 0 },
  { error: 'request ended without 0x0A' },
];
const TAIL = Buffer.from('hel'); // a last request without its 0x0A, then the client's FIN

interface PythonClientReport {
  replies: unknown[];
  expected_refusals: Array<string | null>;
  fin: boolean;
}

async function pythonClient(port: number): Promise<PythonClientReport> {
  const job = { requests: requests.map((r) => r.toString('hex')), tail: TAIL.toString('hex') };
  const result = await runPeer('l02_client.py', [String(port)], { input: JSON.stringify(job), timeoutMs: 30_000 });
  expect(result.code, `the Python client failed:\n${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as PythonClientReport;
}

async function pythonServer(): Promise<number> {
  const peer = await startPeer('l02_server.py', [JSON.stringify(allowlist)]);
  return Number(peer.firstLine);
}

/** Everything a server sends for `bytes` (written at once), until it ends its side. */
async function exchange(port: number, bytes: Buffer, end: boolean): Promise<Buffer> {
  const socket = await kit.connect(port, { allowHalfOpen: true });
  if (end) socket.end(bytes);
  else socket.write(bytes);
  return readUntilEnd(socket, { ms: 20_000, message: `the server on port ${port} never ended its side` });
}

describeWithPython('lesson 02 interop with Python peers written from the Wire format', () => {
  it('a Python client gets every reply from the reference server, and quotes refused names as the server does', async () => {
    const port = await kit.listen(createCommandServer({ allowlist }));
    const report = await pythonClient(port);
    expect(report.replies).toEqual(expectedReplies);
    expect(report.fin, 'the server ended its side after the last reply').toBe(true);
    // The Python client's own reading of "How a refused name is quoted" matches the server.
    for (const i of [2, 3, 4, 5, 7, 8]) {
      expect(report.expected_refusals[i], `the Python quoting of request ${i}`).toBe(
        (expectedReplies[i] as { error: string }).error,
      );
    }
  });

  it('the reference RemoteClient runs commands on a Python server', async () => {
    const port = await pythonServer();
    const client = new RemoteClient(await kit.connect(port));
    const within = { ms: 20_000, message: 'the Python server did not answer' };
    expect(await withDeadline(client.run('hello'), within)).toEqual({ stdout: ['hello'], stderr: [], exitCode: 0 });
    expect(await withDeadline(client.run('both'), within)).toEqual({
      stdout: ['a', 'b'],
      stderr: ['warn'],
      exitCode: 3,
    });
    const refused = await withDeadline(
      client.run('nope').catch((error: unknown) => error),
      within,
    );
    expect(refused).toBeInstanceOf(CommandError);
    expect((refused as Error).message).toBe('unknown command "nope"');
    expect(await withDeadline(client.run('blank'), within)).toEqual({ stdout: [''], stderr: [], exitCode: 0 });
  });

  it('a Python client gets the same replies from the Python server', async () => {
    const report = await pythonClient(await pythonServer());
    expect(report.replies).toEqual(expectedReplies);
  });

  it.each([
    [
      'every kind of request, then a line cut by a FIN',
      Buffer.concat([...requests.flatMap((r) => [r, Buffer.of(0x0a)]), TAIL]),
      true,
    ],
    ['a request, then a line over 4,096 bytes', Buffer.from(`hello\n${'x'.repeat(5000)}`), false],
    [
      'a line of exactly 4,096 bytes, then one of 4,097',
      Buffer.from(`${'y'.repeat(4096)}\n${'z'.repeat(4097)}\n`),
      false,
    ],
  ])('the Python server and the reference server send the same bytes for %s', async (_what, bytes, end) => {
    const reference = await exchange(await kit.listen(createCommandServer({ allowlist })), bytes, end);
    const python = await exchange(await pythonServer(), bytes, end);
    expect(python.toString('hex')).toBe(reference.toString('hex'));
  });
});
