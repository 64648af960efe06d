import { afterEach, describe, expect, it } from 'vitest';
import {
  ScriptedPeer,
  everySplit,
  expectBytes,
  fixedSize,
  newSeed,
  randomChunks,
  standardChunkings,
  withDeadline,
} from '../../runner/kit/index.ts';
import {
  CommandError,
  type CommandResult,
  ProtocolError,
  RemoteClient,
  type RemoteClientOptions,
} from './remote-client.ts';

const seed = newSeed();

// Each test talks to a ScriptedPeer: a stand-in for the server that
// delivers exactly the chunks the test chooses, each as its own 'data' event.
const peers: ScriptedPeer[] = [];
afterEach(() => {
  for (const peer of peers.splice(0)) peer.destroy();
});

function connect(options?: RemoteClientOptions): { peer: ScriptedPeer; client: RemoteClient } {
  const peer = new ScriptedPeer();
  // A client that adds a 'data' listener per command (like the starter)
  // would trigger Node's "possible memory leak" warning in the test of 20
  // commands; the test's own failure message says more.
  peer.setMaxListeners(64);
  peers.push(peer);
  return { peer, client: new RemoteClient(peer, options) };
}

/** The bytes of one reply in this lesson's protocol. */
function reply(stdout: string[], { stderr = [] as string[], exitCode = 0 } = {}): Buffer {
  const lines = [...stdout.map((l) => `out ${l}\n`), ...stderr.map((l) => `err ${l}\n`), `exit ${exitCode}\n`];
  return Buffer.from(lines.join(''));
}

/** Runs `command`; the promise never goes unhandled, even if a test stops early. */
function run(client: RemoteClient, command: string): Promise<CommandResult> {
  const result = client.run(command);
  result.catch(() => {});
  return result;
}

/** Waits for a command's result, with a deadline that explains what went wrong. */
function resultOf(promise: Promise<CommandResult>, command: string): Promise<CommandResult> {
  return withDeadline(promise, {
    message: `run(${JSON.stringify(command)}) never finished, although its whole reply was delivered: your client is still waiting for a 'data' event.`,
  });
}

type ErrorClass<E extends Error> = new (...args: never[]) => E;

/**
 * Waits (1 s at most: a refusal should be immediate) for a promise from
 * run() to reject with an `expected` error, and returns that error. If it
 * does not, fails with a sentence that starts with `situation` and says
 * what happened instead: still pending, resolved, or another error.
 */
async function expectRejection<E extends Error>(
  promise: Promise<unknown>,
  expected: ErrorClass<E>,
  situation: string,
): Promise<E> {
  const pending = Symbol('pending');
  const outcome = await Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<typeof pending>((resolve) => setTimeout(resolve, 1_000, pending).unref()),
  ]);
  const must = `${situation}: run() must reject with a ${expected.name}`;
  if (outcome === pending) throw new Error(`${must}, but its promise was still pending after 1 s`);
  if ('value' in outcome) throw new Error(`${must}, but it resolved with ${describeResult(outcome.value)}`);
  const { error } = outcome;
  if (error instanceof expected) return error;
  if (error instanceof Error && error.message.startsWith('TODO:')) throw error; // the starter: its TODO says what to do
  const what = error instanceof Error ? `${error.name}: ${clip(error.message)}` : clip(String(error));
  throw new Error(`${must}, but it rejected with ${what}`);
}

/** A result in a few words, never its lines: they may be kilobytes long. */
function describeResult(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  const { stdout, stderr, exitCode } = value as Partial<CommandResult>;
  const lines = (list: unknown): string =>
    Array.isArray(list) ? `${list.length} ${list.length === 1 ? 'line' : 'lines'}` : String(list);
  return `{ stdout: ${lines(stdout)}, stderr: ${lines(stderr)}, exitCode: ${String(exitCode)} }`;
}

function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

const hello = reply(['hello', 'world']);
const helloResult = { stdout: ['hello', 'world'], stderr: [], exitCode: 0 };

describe('Task 2: a command client that reads whole replies', () => {
  it(`reads a reply under every chunking (seed ${seed}; replay with WORKBOOK_SEED=${seed})`, async () => {
    for (const [name, chunks] of standardChunkings(hello, seed)) {
      const { peer, client } = connect();
      const result = run(client, 'hello');
      const sent = await peer.waitForBytes(6, {
        message: () => `run("hello") should send the 6 bytes "hello\\n", but your client wrote ${peer.received.length}`,
      });
      expectBytes(sent, 'hello\n', 'what your client sent for run("hello")');
      await peer.deliver(chunks);
      expect(await resultOf(result, 'hello'), `the result when the reply arrives ${name}`).toEqual(helloResult);
    }
  });

  it('reads a reply split in two at every offset', async () => {
    for (const [at, chunks] of everySplit(hello)) {
      const { peer, client } = connect();
      const result = run(client, 'hello');
      await peer.deliver(chunks);
      expect(await resultOf(result, 'hello'), `the result when the reply is split after byte ${at}`).toEqual(
        helloResult,
      );
    }
  });

  it('gives each of two commands its own reply when both replies arrive in one chunk', async () => {
    const { peer, client } = connect();
    const first = run(client, 'first');
    const second = run(client, 'second');
    const sent = await peer.waitForBytes(13, {
      message: () =>
        `run("first") then run("second") should send the 13 bytes "first\\nsecond\\n" at once, without waiting for a reply, but your client wrote ${peer.received.length}`,
    });
    expectBytes(sent, 'first\nsecond\n', 'the two commands, in order');
    await peer.deliver([Buffer.concat([reply(['one']), reply(['two'])])]);
    expect(await resultOf(first, 'first'), 'the reply to "first"').toEqual({
      stdout: ['one'],
      stderr: [],
      exitCode: 0,
    });
    expect(
      await resultOf(second, 'second'),
      'the reply to "second" (it came in the same chunk as the reply to "first")',
    ).toEqual({
      stdout: ['two'],
      stderr: [],
      exitCode: 0,
    });
  });

  it('does not hand the rest of one reply to the next command', async () => {
    // The tutorials' bug: the second command "dir" printed the rest of the first command's output.
    const { peer, client } = connect();
    const long = reply(['line 1', 'line 2', 'line 3']);
    const first = run(client, 'first');
    await peer.deliver([long.subarray(0, 10)]);
    const second = run(client, 'second');
    await peer.deliver([Buffer.concat([long.subarray(10), reply(['second output'])])]);
    expect(await resultOf(first, 'first'), 'the reply to "first", which came in two chunks').toEqual({
      stdout: ['line 1', 'line 2', 'line 3'],
      stderr: [],
      exitCode: 0,
    });
    expect(await resultOf(second, 'second'), 'the reply to "second"').toEqual({
      stdout: ['second output'],
      stderr: [],
      exitCode: 0,
    });
  });

  it(`matches 20 pipelined commands to their replies, all delivered in random chunks (seed ${seed})`, async () => {
    const { peer, client } = connect();
    const commands = Array.from({ length: 20 }, (_, i) => `cmd-${i}`);
    const results = commands.map((c) => run(client, c));
    const replies = Buffer.concat(commands.map((c, i) => reply([`output of ${c}`], { exitCode: i % 3 })));
    await peer.deliver(randomChunks(replies, seed, 40));
    for (const [i, c] of commands.entries()) {
      expect(await resultOf(results[i]!, c), `the reply to ${c}`).toEqual({
        stdout: [`output of ${c}`],
        stderr: [],
        exitCode: i % 3,
      });
    }
  });

  it('keeps a UTF-8 character whole when a chunk boundary cuts through it', async () => {
    const bytes = reply(['你好']); // 你 is e4 bd a0; the cut below falls after e4 bd
    const { peer, client } = connect();
    const result = run(client, 'greet');
    await peer.deliver([bytes.subarray(0, 6), bytes.subarray(6)]);
    expect(
      await resultOf(result, 'greet'),
      'the result when a chunk ends after e4 bd, the first 2 of the 3 bytes of 你 (decode a line only once it is whole)',
    ).toEqual({
      stdout: ['你好'],
      stderr: [],
      exitCode: 0,
    });
  });

  it('returns stderr lines and a failing exit code', async () => {
    const { peer, client } = connect();
    const result = run(client, 'check');
    await peer.deliver(fixedSize(reply(['partial'], { stderr: ['disk is full', 'gave up'], exitCode: 2 }), 3));
    expect(
      await resultOf(result, 'check'),
      'the result of "out partial", "err disk is full", "err gave up", "exit 2", in 3-byte chunks',
    ).toEqual({
      stdout: ['partial'],
      stderr: ['disk is full', 'gave up'],
      exitCode: 2,
    });
  });

  it('rejects with a CommandError on an "error" reply, and the next command still works', async () => {
    const { peer, client } = connect();
    const refused = run(client, 'rm -rf /');
    const next = run(client, 'hello');
    await peer.deliver(fixedSize(Buffer.concat([Buffer.from('error unknown command "rm -rf /"\n'), hello]), 5));
    const error = await expectRejection(
      refused,
      CommandError,
      'the server answered \'error unknown command "rm -rf /"\'',
    );
    expect(error.message, 'the message of the CommandError: the text after "error "').toBe(
      'unknown command "rm -rf /"',
    );
    expect(await resultOf(next, 'hello'), 'an "error" reply ends that reply only; the connection goes on').toEqual(
      helloResult,
    );
  });

  it('refuses a command that contains 0x0A, and sends nothing', async () => {
    const { peer, client } = connect();
    // "hello\nshutdown" would reach the server as two commands.
    await expectRejection(
      client.run('hello\nshutdown'),
      RangeError,
      'the command "hello\\nshutdown" holds a 0x0A, so the server would read it as two commands',
    );
    expect(peer.received.length, 'nothing may be sent for a refused command').toBe(0);
  });

  it('refuses a command longer than 4096 bytes, and sends nothing', async () => {
    const { peer, client } = connect();
    await expectRejection(
      client.run('x'.repeat(4097)),
      RangeError,
      'the command is 4,097 bytes long, and a line may hold at most 4,096',
    );
    expect(peer.received.length, 'nothing may be sent for a refused command').toBe(0);
  });
});

describe('Task 2: a command client when the connection goes wrong', () => {
  it('rejects every waiting command with a ProtocolError when the connection ends mid-reply', async () => {
    const { peer, client } = connect();
    const first = run(client, 'first');
    const second = run(client, 'second');
    await peer.deliver([hello.subarray(0, 9)], { end: true });
    await expectRejection(
      first,
      ProtocolError,
      'the server ended the connection in the middle of the reply to "first" (after the 9 bytes "out hello", with no 0x0A)',
    );
    await expectRejection(second, ProtocolError, 'the server ended the connection before it replied to "second"');
    await expectRejection(
      client.run('third'),
      ProtocolError,
      'run("third") was called after the server had ended the connection',
    );
  });

  it('rejects every waiting command with a ProtocolError when the connection is reset', async () => {
    const { peer, client } = connect();
    const first = run(client, 'first');
    const second = run(client, 'second');
    await peer.deliver([hello.subarray(0, 9)]);
    expect(
      peer.listenerCount('error'),
      "your client must listen for 'error' on the connection: a reset emits 'error', and with no listener it crashes the program",
    ).toBeGreaterThan(0);
    // What a socket does when the server resets the connection: 'error', then 'close'.
    peer.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await expectRejection(
      first,
      ProtocolError,
      'the server reset the connection in the middle of the reply to "first"',
    );
    await expectRejection(second, ProtocolError, 'the server reset the connection before it replied to "second"');
    await expectRejection(
      client.run('third'),
      ProtocolError,
      'run("third") was called after the server had reset the connection',
    );
  });

  it('rejects a reply line longer than 4096 bytes and closes the connection', async () => {
    const { peer, client } = connect();
    const result = run(client, 'flood');
    await peer.deliver(fixedSize(Buffer.from(`out ${'x'.repeat(5000)}\nexit 0\n`), 1000));
    await expectRejection(
      result,
      ProtocolError,
      'the server sent a line of 5,004 bytes, and a line may hold at most 4,096',
    );
    expect(peer.destroyed, 'after a protocol error, close the connection (destroy it)').toBe(true);
  });

  it('rejects a line it does not understand and closes the connection', async () => {
    const { peer, client } = connect();
    const result = run(client, 'hello');
    await peer.deliver(fixedSize(Buffer.from('hello there\nexit 0\n'), 4));
    await expectRejection(result, ProtocolError, 'the server sent "hello there", which is not a reply line');
    expect(peer.destroyed, 'after a protocol error, close the connection (destroy it)').toBe(true);
  });

  it('gives up after timeoutMs and closes the connection, so a late reply cannot be mistaken for the next one', async () => {
    const { peer, client } = connect({ timeoutMs: 100 });
    const slow = run(client, 'slow');
    await expectRejection(slow, ProtocolError, 'no reply to "slow" came within timeoutMs = 100');
    expect(peer.destroyed, 'after a timeout, close the connection (destroy it)').toBe(true);
    await expectRejection(
      client.run('next'),
      ProtocolError,
      'run("next") was called after a timeout had closed the connection',
    );
  });

  it('reads 5 MiB of output, then a clean reply to the next command', async () => {
    const lines = Array.from({ length: 5 * 1024 }, (_, i) => String(i % 10).repeat(1019)); // 5120 lines of 1024 bytes on the wire
    const big = reply(lines);
    expect(big.length).toBe(5 * 1024 * 1024 + 'exit 0\n'.length);
    const { peer, client } = connect();
    const first = run(client, 'big');
    const second = run(client, 'hello');
    await peer.deliver(randomChunks(Buffer.concat([big, hello]), seed, 64 * 1024));
    const result = await withDeadline(first, { ms: 5_000, message: 'the 5 MiB reply never finished' });
    expect(
      result.stdout.length,
      `the 5 MiB reply holds ${lines.length.toLocaleString('en-US')} "out" lines, but your result has ${result.stdout.length}: a reply ends at its "exit" line, however many 'data' events it takes`,
    ).toBe(lines.length);
    const wrong = result.stdout.findIndex((line, i) => line !== lines[i]);
    expect(
      wrong,
      `line ${wrong + 1} of the 5 MiB reply is not the line the server sent (each line is 1,019 copies of one digit)`,
    ).toBe(-1);
    expect(await resultOf(second, 'hello'), 'the reply after 5 MiB of output').toEqual(helloResult);
  });
});
