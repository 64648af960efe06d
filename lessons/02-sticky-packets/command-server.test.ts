import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bytewise,
  expectBytes,
  nextEvent,
  readExactly,
  readUntilEnd,
  startProxy,
  useNetKit,
  withDeadline,
} from '../../runner/kit/index.ts';
import type { Allowlist, Argv } from './allowlist.ts';
import { createCommandServer } from './command-server.ts';
import { CommandError, RemoteClient } from './remote-client.ts';
import { CommandFailedError, type CommandOutput } from './run-command.ts';

const kit = useNetKit();

// Most tests use a stand-in for runCommand: it runs nothing, returns the
// output the test chose, and records what it was asked to run. The
// allowlist's argv are plain names, never started.
const allowlist: Allowlist = {
  hello: ['fake-hello'],
  who: ['fake-who'],
  tricky: ['fake-tricky'],
  noisy: ['fake-noisy'],
  'no-newline': ['fake-no-newline'],
  'with-newline': ['fake-with-newline'],
  silent: ['fake-silent'],
  blank: ['fake-blank'],
  wide: ['fake-wide'],
  big: ['fake-big'],
  slow: ['fake-slow'],
  fast: ['fake-fast'],
  timeout: ['fake-timeout'],
  broken: ['fake-broken'],
};

const output = (stdout: string | Buffer, stderr = '', exitCode = 0): CommandOutput => ({
  stdout: Buffer.from(stdout),
  stderr: Buffer.from(stderr),
  exitCode,
});

const BIG_LINE = 'x'.repeat(1023);
const BIG_LINES = 5 * 1024; // 5120 lines of 1024 bytes: 5 MiB of output

function fakeRunner(): { run: (argv: Argv) => Promise<CommandOutput>; ran: string[] } {
  const ran: string[] = [];
  let fastCalled = (): void => {};
  const fastWasCalled = new Promise<void>((resolve) => (fastCalled = resolve));
  const outputs: Record<string, () => CommandOutput | Promise<CommandOutput>> = {
    'fake-hello': () => output('hello\n'),
    'fake-who': () => output('alice\nbob\n'),
    'fake-tricky': () => output('exit 0\nerror boom\nout fake\n'),
    'fake-noisy': () => output('a\nb\n', 'warning: low disk\n', 2),
    'fake-no-newline': () => output('a\nb'),
    'fake-with-newline': () => output('a\nb\n'),
    'fake-silent': () => output(''),
    'fake-blank': () => output('\n'),
    'fake-wide': () => output(`${'w'.repeat(4093)}\n`),
    'fake-big': () => output(`${BIG_LINE}\n`.repeat(BIG_LINES)),
    // "slow" finishes only after "fast" was started (or 50 ms later): a
    // server that runs both at once would answer "fast" first.
    'fake-slow': async () => {
      await Promise.race([fastWasCalled, new Promise((r) => setTimeout(r, 50))]);
      return output('slow\n');
    },
    'fake-fast': () => {
      fastCalled();
      return output('fast\n');
    },
    'fake-timeout': () => Promise.reject(new CommandFailedError('timed out after 5000 ms')),
    'fake-broken': () => Promise.reject(new Error('EACCES: /secret/path/tool')),
  };
  const run = async (argv: Argv): Promise<CommandOutput> => {
    ran.push(argv[0]);
    const make = outputs[argv[0]];
    if (!make) throw new Error(`the test has no output for ${argv[0]}`);
    return make();
  };
  return { run, ran };
}

async function start(
  options: { idleTimeoutMs?: number } = {},
): Promise<{ client: Socket; ran: string[]; port: number }> {
  const { run, ran } = fakeRunner();
  const port = await kit.listen(createCommandServer({ allowlist, run, ...options }));
  return { client: await kit.connect(port), ran, port };
}

/** Reads exactly the bytes of `expected` and compares them. */
async function expectReply(client: Socket, expected: string | Buffer, what: string, ms?: number): Promise<void> {
  const bytes = Buffer.from(expected);
  const got = await readExactly(client, bytes.length, { ms, message: `your server did not send all of ${what}` });
  expectBytes(got, bytes, what);
}

describe('Task 5: the command server', () => {
  it('answers a command that arrives one byte at a time', async () => {
    const { run } = fakeRunner();
    const port = await kit.listen(createCommandServer({ allowlist, run }));
    const proxy = await startProxy(kit, port, { toServer: { chunker: bytewise } });
    const client = await kit.connect(proxy.port);
    client.write('hello\n');
    await expectReply(client, 'out hello\nexit 0\n', 'the reply to "hello"');
  });

  it('answers two commands that arrive in one chunk, in order', async () => {
    const { client } = await start();
    client.write('hello\nwho\n');
    await expectReply(client, 'out hello\nexit 0\nout alice\nout bob\nexit 0\n', 'the replies to "hello" and "who"');
  });

  it('tags every output line, so output that looks like "exit 0" cannot end a reply early', async () => {
    const { client } = await start();
    client.write('tricky\nhello\n');
    await expectReply(
      client,
      'out exit 0\nout error boom\nout out fake\nexit 0\nout hello\nexit 0\n',
      'the reply to "tricky", then to "hello"',
    );
  });

  it('sends stdout lines, then stderr lines, then the exit code', async () => {
    const { client } = await start();
    client.write('noisy\n');
    await expectReply(client, 'out a\nout b\nerr warning: low disk\nexit 2\n', 'the reply to "noisy"');
  });

  it('splits output at each 0x0A: "a\\nb" and "a\\nb\\n" look the same (the limit of line framing)', async () => {
    const { client } = await start();
    client.write('no-newline\nwith-newline\nsilent\nblank\n');
    await expectReply(
      client,
      'out a\nout b\nexit 0\nout a\nout b\nexit 0\nexit 0\nout \nexit 0\n',
      'the replies to "no-newline", "with-newline", "silent" and "blank"',
    );
  });

  it('refuses an output line longer than 4092 bytes with an error reply, and goes on', async () => {
    const { client } = await start();
    client.write('wide\nhello\n');
    await expectReply(
      client,
      'error output line longer than 4092 bytes\nout hello\nexit 0\n',
      'the reply to "wide" (a 4093-byte line), then to "hello"',
    );
  });

  it('answers in request order even when a later command would finish first', async () => {
    const { client } = await start();
    client.write('slow\nfast\n');
    await expectReply(
      client,
      'out slow\nexit 0\nout fast\nexit 0\n',
      'the replies to "slow" and "fast", in the order they were asked',
    );
  });

  it('reports a command that failed as an error reply, hiding internal details, and goes on', async () => {
    const { client } = await start();
    client.write('timeout\nbroken\nhello\n');
    await expectReply(
      client,
      'error timed out after 5000 ms\nerror internal error\nout hello\nexit 0\n',
      'the replies to "timeout" (a CommandFailedError), "broken" (any other error) and "hello"',
    );
  });

  it('sends 5 MiB of output, then a clean reply to the next command', async () => {
    const { client } = await start();
    client.write('big\nhello\n');
    const expected = Buffer.concat([
      Buffer.from(`out ${BIG_LINE}\n`.repeat(BIG_LINES) + 'exit 0\n'),
      Buffer.from('out hello\nexit 0\n'),
    ]);
    await expectReply(client, expected, 'the 5 MiB reply to "big", then the reply to "hello"', 10_000);
  });
});

describe('Task 5: the command server refuses bad requests', () => {
  it('refuses shell tricks and unknown commands, running nothing', async () => {
    const { client, ran } = await start();
    const requests = [
      'hello; id',
      '$(id)',
      '`id`',
      'hello && id',
      'hello | id',
      'HELLO',
      '\uFEFFhello',
      'constructor',
      'nope',
    ];
    client.write(requests.map((r) => `${r}\n`).join(''));
    const expected = requests.map((r) => `error unknown command ${JSON.stringify(r)}\n`).join('');
    await expectReply(client, expected, 'the refusals');
    expect(ran, 'your server ran something for a refused request').toEqual([]);
  });

  it('quotes a refused name exactly as JSON.stringify does, DEL and control bytes included', async () => {
    const { client, ran } = await start();
    // a, 0x01, b, DEL (0x7f), c, ESC (0x1b): JSON.stringify escapes 0x01 and
    // 0x1b (\u0001, \u001b) and copies DEL as the byte 7f.
    client.write(Buffer.from('6101627f631b0a', 'hex'));
    await expectReply(
      client,
      Buffer.concat([Buffer.from('error unknown command "a\\u0001b'), Buffer.of(0x7f), Buffer.from('c\\u001b"\n')]),
      'the refusal of the name 61 01 62 7f 63 1b',
    );
    expect(ran, 'your server ran something for a refused request').toEqual([]);
  });

  it('answers "error request is not valid UTF-8", and goes on', async () => {
    const { client, ran } = await start();
    client.write(Buffer.concat([Buffer.from([0x68, 0xff, 0xfe, 0x0a]), Buffer.from('hello\n')]));
    await expectReply(
      client,
      'error request is not valid UTF-8\nout hello\nexit 0\n',
      'the reply to bytes 68 ff fe, then to "hello"',
    );
    expect(ran, 'what your server ran: "hello" only, nothing for the line that is not valid UTF-8').toEqual([
      'fake-hello',
    ]);
  });

  it('answers the commands before a request line over 4096 bytes, then says why and closes', async () => {
    const { client } = await start();
    client.write(`hello\n${'x'.repeat(5000)}`);
    const got = await readUntilEnd(client, {
      message: 'your server never closed the connection after a 5000-byte request line',
    });
    expectBytes(got, 'out hello\nexit 0\nerror request line longer than 4096 bytes\n', 'everything the server sent');
  });

  it('answers every command of a client that sends them and then ends its side (half-close)', async () => {
    const { run } = fakeRunner();
    const port = await kit.listen(createCommandServer({ allowlist, run }));
    const client = await kit.connect(port, { allowHalfOpen: true });
    client.end('hello\nwho\n');
    const got = await readUntilEnd(client, {
      message: 'your server did not answer and then close after the client ended its side',
    });
    expectBytes(
      got,
      'out hello\nexit 0\nout alice\nout bob\nexit 0\n',
      'everything the server sent (create the server with allowHalfOpen: true)',
    );
  });

  it('answers "error request ended without 0x0A" when the client ends in the middle of a line', async () => {
    const { run } = fakeRunner();
    const port = await kit.listen(createCommandServer({ allowlist, run }));
    const client = await kit.connect(port, { allowHalfOpen: true });
    client.end('hello\nwho');
    const got = await readUntilEnd(client, {
      message: 'your server did not answer and then close after the client ended its side',
    });
    expectBytes(got, 'out hello\nexit 0\nerror request ended without 0x0A\n', 'everything the server sent');
  });

  it('closes a client that sends nothing for idleTimeoutMs', async () => {
    const { client } = await start({ idleTimeoutMs: 100 });
    await readUntilEnd(client, { message: 'your server kept a silent client connected past idleTimeoutMs = 100' });
  });

  it('keeps serving after a client resets its connection (ECONNRESET)', async () => {
    const { run } = fakeRunner();
    const server = createCommandServer({ allowlist, run });
    const port = await kit.listen(server);
    const accepted = nextEvent<[Socket]>(server, 'connection');
    const rude = await kit.connect(port);
    const [serverSide] = await accepted;
    expect(
      serverSide.listenerCount('error'),
      "your server does not listen for 'error' on the client's socket: one reset would crash it",
    ).toBeGreaterThan(0);
    rude.resetAndDestroy();
    await nextEvent(serverSide, 'close', { message: 'the server never noticed that the client reset the connection' });
    const polite = await kit.connect(port);
    polite.write('hello\n');
    await expectReply(polite, 'out hello\nexit 0\n', 'the reply after another client reset its connection');
  });
});

// 30 s per test, 15 s per reply: each reply starts a Node.js process,
// which can take seconds on a loaded machine.
describe('Task 5: the command server with real commands', { timeout: 30_000 }, () => {
  // These tests run real programs: this same Node.js binary with fixed,
  // harmless scripts, through your runCommand from task 4.
  const node = (script: string): Argv => [process.execPath, '-e', script];
  const real: Allowlist = {
    hello: node('process.stdout.write("hello\\n")'),
    fails: node('console.error("bad"); process.exitCode = 3'),
    flood: node('process.stdout.write("x".repeat(2 * 1024 * 1024))'),
  };
  // The marker's path reaches a shell, if one ever runs, through this
  // variable, never inside a request: the requests, and so the refusals the
  // test expects, are then the same bytes on every machine, however long
  // its temp directory's path (a refusal quotes at most 64 characters).
  const MARKER_ENV = 'WORKBOOK_02_MARKER';
  let dir = '';
  afterEach(() => {
    delete process.env[MARKER_ENV];
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  it('never hands a request to a shell: no marker file appears', async () => {
    dir = mkdtempSync(join(tmpdir(), 'workbook-02-'));
    const marker = join(dir, 'marker');
    process.env[MARKER_ENV] = marker; // a child process, a shell included, inherits it
    // If a shell ever ran one of these, it would create the marker file and nothing else.
    const touch = `touch "$${MARKER_ENV}"`;
    const attacks = [`$(${touch})`, `hello; ${touch}`, `\`${touch}\``];
    const port = await kit.listen(createCommandServer({ allowlist: real }));
    const client = await kit.connect(port);
    client.write([...attacks, 'hello'].map((a) => `${a}\n`).join(''));
    const expected =
      attacks.map((a) => `error unknown command ${JSON.stringify(a)}\n`).join('') + 'out hello\nexit 0\n';
    await expectReply(client, expected, 'the refusals, then the reply to "hello"', 15_000);
    expect(existsSync(marker), `a shell ran a request: ${marker} was created`).toBe(false);
  });

  it('refuses more than 1 MiB of output by default; the next reply is clean', async () => {
    const port = await kit.listen(createCommandServer({ allowlist: real }));
    const client = await kit.connect(port);
    client.write('flood\nhello\n');
    await expectReply(
      client,
      'error output larger than 1048576 bytes\nout hello\nexit 0\n',
      'the reply to "flood" (2 MiB of output), then to "hello"',
      15_000,
    );
  });

  it('works end to end with your RemoteClient (task 2), through a proxy that cuts every byte apart', async () => {
    const port = await kit.listen(createCommandServer({ allowlist: real }));
    const proxy = await startProxy(kit, port, { toServer: { chunker: bytewise }, toClient: { chunker: bytewise } });
    const client = new RemoteClient(await kit.connect(proxy.port));
    const within = (command: string) => ({
      ms: 15_000,
      message: `no reply to ${JSON.stringify(command)} came back through the proxy`,
    });
    expect(await withDeadline(client.run('hello'), within('hello')), 'the result of "hello"').toEqual({
      stdout: ['hello'],
      stderr: [],
      exitCode: 0,
    });
    expect(
      await withDeadline(client.run('fails'), within('fails')),
      'the result of "fails", which prints "bad" on stderr and exits with code 3',
    ).toEqual({
      stdout: [],
      stderr: ['bad'],
      exitCode: 3,
    });
    const refused = await withDeadline(
      client.run('nope').then(
        () => 'it resolved',
        (error: unknown) => error,
      ),
      within('nope'),
    );
    if (refused instanceof Error && refused.message.startsWith('TODO:')) throw refused; // the starter of task 2: its TODO says what to do
    const said = refused instanceof Error ? `it rejected with ${refused.name}: ${refused.message}` : String(refused);
    expect(
      refused instanceof CommandError,
      `"nope" is not in the allowlist: run("nope") must reject with a CommandError, but ${said}`,
    ).toBe(true);
  });
});
