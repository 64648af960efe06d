// Lesson 02 interop: Python 3 peers written from the README's Wire format
// section alone talk to the reference server and client, both ways, and a
// Python server answers the same bytes as the reference server, byte for byte.
import { expect, it } from 'vitest';
import { readUntilEnd, useNetKit, withDeadline } from '../../runner/kit/index.ts';
import { type Allowlist, quote } from '../../solutions/02-sticky-packets/allowlist.ts';
import { createCommandServer } from '../../solutions/02-sticky-packets/command-server.ts';
import { CommandError, ProtocolError, RemoteClient } from '../../solutions/02-sticky-packets/remote-client.ts';
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

const hex = (s: string | Buffer): string => Buffer.from(s).toString('hex');
const REFUSED = Symbol('refused'); // the reply is "unknown command <the name, quoted>"
const notUtf8 = { error: 'request is not valid UTF-8' };

/**
 * Request lines (without 0x0A), as bytes, each with the reply a correct
 * server sends, as the Python client reports it: known names, refused names
 * of every kind, and every kind of byte string that is not UTF-8.
 */
const cases: Array<[string | Buffer, object | typeof REFUSED]> = [
  ['hello', { out: [hex('hello')], err: [], exit: 0 }],
  ['both', { out: [hex('a'), hex('b')], err: [hex('warn')], exit: 3 }],
  ['nope', REFUSED],
  ['', REFUSED], // an empty line: unknown command ""
  ['say "hi" \\ back', REFUSED],
  [Buffer.from('6101627f631b', 'hex'), REFUSED], // a, 0x01, b, DEL, c, ESC
  [Buffer.from('00080b0c0d1f20', 'hex'), REFUSED], // \u0000 \b \u000b \f \r \u001f, then a space
  ['\u2028\u2029/', REFUSED], // copied as they are: JSON.stringify and json.dumps escape neither
  ['😀'.repeat(64), REFUSED], // exactly 64 characters: no cut, no "..."
  ['😀'.repeat(70), REFUSED], // 70 characters, 140 UTF-16 units, 280 bytes: cut after 64 characters
  ['é'.repeat(2048), REFUSED], // 4,096 bytes, the longest line there is
  [Buffer.from('68ff', 'hex'), notUtf8],
  [Buffer.from('c080', 'hex'), notUtf8], // an overlong 0x00
  [Buffer.from('eda080', 'hex'), notUtf8], // a UTF-16 surrogate, U+D800
  [Buffer.from('f4908080', 'hex'), notUtf8], // above U+10FFFF
  [Buffer.from('61e4bd', 'hex'), notUtf8], // a character cut by the 0x0A
  ['\uFEFFhello', REFUSED], // a byte order mark is a character like any other
  ['hello\r', REFUSED],
  ['blank', { out: [''], err: [], exit: 0 }],
  ['bytes', { out: ['780d', '79ff00'], err: [], exit: 0 }],
  ['wide', { error: 'output line longer than 4092 bytes' }],
  ['silent', { out: [], err: [], exit: 0 }],
];
const requests: Buffer[] = cases.map(([r]) => Buffer.from(r));
const refusedAt = cases.flatMap(([, reply], i) => (reply === REFUSED ? [i] : []));
/** What a correct server sends for `requests`, reply by reply, then for TAIL. */
const expectedReplies = [
  ...cases.map(([r, reply]) =>
    reply === REFUSED ? { error: `unknown command ${quote(Buffer.from(r).toString('utf8'))}` } : reply,
  ),
  { error: 'request ended without 0x0A' },
];
const TAIL = Buffer.from('hel'); // a last request without its 0x0A, then the client's FIN

interface PythonClientReport {
  replies: unknown[];
  expected_refusals: Array<string | null>;
  fin: boolean;
  reset: boolean;
}

async function pythonClient(
  port: number,
  job: { requests: string[]; tail?: string; after_fin?: number } = {
    requests: requests.map((r) => r.toString('hex')),
    tail: TAIL.toString('hex'),
  },
): Promise<PythonClientReport> {
  const result = await runPeer('l02_client.py', [String(port)], { input: JSON.stringify(job), timeoutMs: 30_000 });
  expect(result.code, `the Python client failed:\n${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as PythonClientReport;
}

/** Starts the Python server; `scripted` names get the given bytes as their reply (see l02_server.py). */
async function pythonServer(scripted: Record<string, { send: string; after: 'fin' | 'rst' | 'stay' }> = {}) {
  const peer = await startPeer('l02_server.py', [JSON.stringify(allowlist), JSON.stringify(scripted)]);
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
    for (const i of refusedAt) {
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

  it('the reference server reads and ignores what a client sends after "request line longer": no reset', async () => {
    const port = await kit.listen(createCommandServer({ allowlist }));
    const report = await pythonClient(port, { requests: [hex('hello'), hex('x'.repeat(5000))], after_fin: 1 << 20 });
    expect(report.replies).toEqual([
      { out: [hex('hello')], err: [], exit: 0 },
      { error: 'request line longer than 4096 bytes' },
    ]);
    expect(report.reset, 'the server read on after its FIN, as the Wire format says, and sent no reset').toBe(false);
  });

  // Each bad reply of "What a client does", from a real Python server over
  // real TCP: the client fails the command with a ProtocolError, closes the
  // connection and refuses every later command.
  const badReplies: Array<[string, string, 'fin' | 'rst' | 'stay']> = [
    ['exit 007', 'exit 007\n', 'stay'],
    ['exit 256', 'exit 256\n', 'stay'],
    ['exit followed by a CR', 'exit 0\r\n', 'stay'],
    ['a tag in capitals', 'OUT x\nexit 0\n', 'stay'],
    ['a bare "out" with no space', 'out\nexit 0\n', 'stay'],
    ['a 4,097-byte line', `out ${'x'.repeat(4093)}\nexit 0\n`, 'stay'],
    ['a line when no command waits', 'exit 0\nexit 0\n', 'stay'],
    ['a FIN in the middle of a reply', 'out half', 'fin'],
    ['a reset in the middle of a reply', 'out half', 'rst'],
    ['a reset before any reply', '', 'rst'],
  ];
  it.each(badReplies)('the reference RemoteClient fails %s with a ProtocolError', async (_what, bytes, then) => {
    const port = await pythonServer({ bad: { send: hex(bytes), after: then } });
    const client = new RemoteClient(await kit.connect(port));
    const within = { ms: 20_000, message: 'the RemoteClient never settled the command' };
    const outcome = await withDeadline(
      client.run('bad').then(
        (result) => result,
        (error: unknown) => error,
      ),
      within,
    );
    // "a line when no command waits": the first exit 0 answers "bad"; the second breaks the connection.
    if (!(outcome instanceof Error)) expect(outcome).toEqual({ stdout: [], stderr: [], exitCode: 0 });
    else expect(outcome, `the error for ${JSON.stringify(bytes.slice(0, 40))}`).toBeInstanceOf(ProtocolError);
    const later = await withDeadline(
      client.run('hello').catch((error: unknown) => error),
      within,
    );
    expect(later, 'a command after the protocol broke is refused').toBeInstanceOf(ProtocolError);
  });

  it('the reference RemoteClient gives the text of an error line that follows output lines, and goes on', async () => {
    const port = await pythonServer({ bad: { send: hex('out x\nerror boom\n'), after: 'stay' } });
    const client = new RemoteClient(await kit.connect(port));
    const within = { ms: 20_000, message: 'the Python server did not answer' };
    const refused = await withDeadline(
      client.run('bad').catch((error: unknown) => error),
      within,
    );
    expect(refused).toBeInstanceOf(CommandError);
    expect((refused as Error).message).toBe('boom');
    expect(await withDeadline(client.run('hello'), within)).toEqual({ stdout: ['hello'], stderr: [], exitCode: 0 });
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
