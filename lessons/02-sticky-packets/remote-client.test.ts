import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedPeer, everySplit, expectBytes, fixedSize, newSeed, randomChunks, standardChunkings, withDeadline } from '../../runner/kit/index.ts';
import { CommandError, type CommandResult, ProtocolError, RemoteClient, type RemoteClientOptions } from './remote-client.ts';

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
    message: `run(${JSON.stringify(command)}) never finished, although its whole reply was delivered: your client is still waiting for a 'data' event`,
  });
}

/** Waits for a command to fail, with a short deadline: a refusal should be immediate. */
function failureOf(promise: Promise<unknown>, what: string): Promise<unknown> {
  return withDeadline(promise, { ms: 1_000, message: `${what}, but the promise from run() was still pending` });
}

const hello = reply(['hello', 'world']);
const helloResult = { stdout: ['hello', 'world'], stderr: [], exitCode: 0 };

describe('Task 2: a command client that reads whole replies', () => {
  it(`reads a reply under every chunking (seed ${seed}; replay with WORKBOOK_SEED=${seed})`, async () => {
    for (const [name, chunks] of standardChunkings(hello, seed)) {
      const { peer, client } = connect();
      const result = run(client, 'hello');
      expectBytes(await peer.waitForBytes(6), 'hello\n', 'what your client sent for run("hello")');
      await peer.deliver(chunks);
      expect(await resultOf(result, 'hello'), `the result when the reply arrives ${name}`).toEqual(helloResult);
    }
  });

  it('reads a reply split in two at every offset', async () => {
    for (const [at, chunks] of everySplit(hello)) {
      const { peer, client } = connect();
      const result = run(client, 'hello');
      await peer.deliver(chunks);
      expect(await resultOf(result, 'hello'), `the result when the reply is split after byte ${at}`).toEqual(helloResult);
    }
  });

  it('gives each of two commands its own reply when both replies arrive in one chunk', async () => {
    const { peer, client } = connect();
    const first = run(client, 'first');
    const second = run(client, 'second');
    expectBytes(await peer.waitForBytes(13), 'first\nsecond\n', 'the two commands, in order');
    await peer.deliver([Buffer.concat([reply(['one']), reply(['two'])])]);
    expect(await resultOf(first, 'first'), 'the reply to "first"').toEqual({ stdout: ['one'], stderr: [], exitCode: 0 });
    expect(await resultOf(second, 'second'), 'the reply to "second" (it came in the same chunk as the reply to "first")').toEqual({
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
    expect(await resultOf(second, 'second'), 'the reply to "second"').toEqual({ stdout: ['second output'], stderr: [], exitCode: 0 });
  });

  it(`matches 20 pipelined commands to their replies, all delivered in random chunks (seed ${seed})`, async () => {
    const { peer, client } = connect();
    const commands = Array.from({ length: 20 }, (_, i) => `cmd-${i}`);
    const results = commands.map((c) => run(client, c));
    const replies = Buffer.concat(commands.map((c, i) => reply([`output of ${c}`], { exitCode: i % 3 })));
    await peer.deliver(randomChunks(replies, seed, 40));
    for (const [i, c] of commands.entries()) {
      expect(await resultOf(results[i]!, c), `the reply to ${c}`).toEqual({ stdout: [`output of ${c}`], stderr: [], exitCode: i % 3 });
    }
  });

  it('keeps a UTF-8 character whole when a chunk boundary cuts through it', async () => {
    const bytes = reply(['你好']); // 你 is e4 bd a0; the cut below falls after e4 bd
    const { peer, client } = connect();
    const result = run(client, 'greet');
    await peer.deliver([bytes.subarray(0, 6), bytes.subarray(6)]);
    expect(await resultOf(result, 'greet')).toEqual({ stdout: ['你好'], stderr: [], exitCode: 0 });
  });

  it('returns stderr lines and a failing exit code', async () => {
    const { peer, client } = connect();
    const result = run(client, 'check');
    await peer.deliver(fixedSize(reply(['partial'], { stderr: ['disk is full', 'gave up'], exitCode: 2 }), 3));
    expect(await resultOf(result, 'check')).toEqual({ stdout: ['partial'], stderr: ['disk is full', 'gave up'], exitCode: 2 });
  });

  it('rejects with a CommandError on an "error" reply, and the next command still works', async () => {
    const { peer, client } = connect();
    const refused = run(client, 'rm -rf /');
    const next = run(client, 'hello');
    await peer.deliver(fixedSize(Buffer.concat([Buffer.from('error unknown command "rm -rf /"\n'), hello]), 5));
    const error = await failureOf(refused.then(() => 'resolved'), 'the server answered "error ..."').catch((e: unknown) => e);
    expect(error, 'run() must reject with a CommandError when the reply is an "error" line').toBeInstanceOf(CommandError);
    expect((error as Error).message).toBe('unknown command "rm -rf /"');
    expect(await resultOf(next, 'hello'), 'an "error" reply ends that reply only; the connection goes on').toEqual(helloResult);
  });

  it('refuses a command that contains 0x0A, and sends nothing', async () => {
    const { peer, client } = connect();
    // "hello\nshutdown" would reach the server as two commands.
    await expect(failureOf(client.run('hello\nshutdown'), 'a command with a 0x0A must be refused at once')).rejects.toThrow(RangeError);
    expect(peer.received.length, 'nothing may be sent for a refused command').toBe(0);
  });

  it('refuses a command longer than 4096 bytes, and sends nothing', async () => {
    const { peer, client } = connect();
    await expect(failureOf(client.run('x'.repeat(4097)), 'a 4097-byte command must be refused at once')).rejects.toThrow(RangeError);
    expect(peer.received.length, 'nothing may be sent for a refused command').toBe(0);
  });
});

describe('Task 2: a command client when the connection goes wrong', () => {
  it('rejects every waiting command with a ProtocolError when the connection ends mid-reply', async () => {
    const { peer, client } = connect();
    const first = run(client, 'first');
    const second = run(client, 'second');
    await peer.deliver([hello.subarray(0, 9)], { end: true });
    await expect(failureOf(first, 'the server ended the connection in the middle of the reply'), 'the reply to "first" never ended').rejects.toThrow(
      ProtocolError,
    );
    await expect(failureOf(second, 'the server ended the connection'), 'the reply to "second" never came').rejects.toThrow(ProtocolError);
    await expect(failureOf(client.run('third'), 'the connection is closed'), 'a closed connection cannot run more commands').rejects.toThrow(ProtocolError);
  });

  it('rejects a reply line longer than 4096 bytes and closes the connection', async () => {
    const { peer, client } = connect();
    const result = run(client, 'flood');
    await peer.deliver(fixedSize(Buffer.from(`out ${'x'.repeat(5000)}\nexit 0\n`), 1000));
    await expect(failureOf(result, 'the server sent a 5004-byte line')).rejects.toThrow(ProtocolError);
    expect(peer.destroyed, 'after a protocol error, close the connection (destroy it)').toBe(true);
  });

  it('rejects a line it does not understand and closes the connection', async () => {
    const { peer, client } = connect();
    const result = run(client, 'hello');
    await peer.deliver(fixedSize(Buffer.from('hello there\nexit 0\n'), 4));
    await expect(failureOf(result, 'the server sent "hello there", which is not a reply line')).rejects.toThrow(ProtocolError);
    expect(peer.destroyed, 'after a protocol error, close the connection (destroy it)').toBe(true);
  });

  it('gives up after timeoutMs and closes the connection, so a late reply cannot be mistaken for the next one', async () => {
    const { peer, client } = connect({ timeoutMs: 100 });
    const slow = run(client, 'slow');
    await expect(failureOf(slow, 'no reply came within timeoutMs = 100')).rejects.toThrow(ProtocolError);
    expect(peer.destroyed, 'after a timeout, close the connection (destroy it)').toBe(true);
    await expect(failureOf(client.run('next'), 'the connection was closed after a timeout')).rejects.toThrow(ProtocolError);
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
    expect(result.stdout.length, 'lines in the 5 MiB reply').toBe(lines.length);
    expect(result.stdout.every((line, i) => line === lines[i]), 'every line of the 5 MiB reply, in order').toBe(true);
    expect(await resultOf(second, 'hello'), 'the reply after 5 MiB of output').toEqual(helloResult);
  });
});
