import { describe, expect, it } from 'vitest';
import {
  ScriptedPeer,
  expectBytes,
  hex,
  newSeed,
  pattern,
  standardChunkings,
  withDeadline,
} from '../../runner/kit/index.ts';
import { CommandClient } from './command-client.ts';
import { FrameType, RemoteCommandError, type CommandResult } from './command-protocol.ts';
import { FrameError } from './frame-codec.ts';

const seed = newSeed();

/** A typed frame built by the test: u32be length | type | data. */
function typed(type: number, data: string | Uint8Array = ''): Buffer {
  const bytes = Buffer.from(data);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(bytes.length + 1);
  header[4] = type;
  return Buffer.concat([header, bytes]);
}

const stdout = (data: string | Uint8Array): Buffer => typed(FrameType.STDOUT, data);
const stderr = (data: string | Uint8Array): Buffer => typed(FrameType.STDERR, data);
const exit = (json: string): Buffer => typed(FrameType.EXIT, json);

/**
 * Calls client.run(id) and waits until the client has written `bytes` bytes
 * in all (the RUN frames so far). Returns the pending result in an object:
 * an async function returning the promise itself would wait for it.
 */
async function startRun(
  client: CommandClient,
  peer: ScriptedPeer,
  id: string,
  bytes: number,
): Promise<{ result: Promise<CommandResult> }> {
  const result = client.run(id);
  result.catch(() => {}); // awaited by the test; this only stops an early rejection from being reported as unhandled
  await Promise.race([
    peer.waitForBytes(bytes, {
      message: () =>
        `your client never sent the RUN frame for ${JSON.stringify(id)}: it wrote ${peer.received.length} of the ${bytes} bytes expected so far`,
    }),
    result,
  ]);
  return { result };
}

function settle(result: Promise<CommandResult>, what: string): Promise<CommandResult> {
  return withDeadline(result, { message: `${what}: run() never settled` });
}

async function failure(result: Promise<unknown>, what: string): Promise<Error> {
  const outcome = await withDeadline(
    result.then(
      () => undefined,
      (error: Error) => error,
    ),
    { message: `${what}: run() never settled` },
  );
  if (outcome === undefined) throw new Error(`${what}: run() resolved, but it should have failed`);
  return outcome;
}

describe('Task 5: a framed command client', () => {
  it('sends RUN "hello" as 00 00 00 06 00 68 65 6c 6c 6f', async () => {
    const peer = new ScriptedPeer();
    await startRun(new CommandClient(peer), peer, 'hello', 10);
    expectBytes(peer.received, hex('00 00 00 06 00 68 65 6c 6c 6f'), 'the RUN frame for "hello"');
  });

  const reply = Buffer.concat([
    stdout('hi\n'),
    stderr('warn\n'),
    stdout(Buffer.from([0, 0x0a, 0xff, 0, 0, 0, 9])),
    typed(FrameType.EXIT, '{"code":3,"signal":null}'),
  ]);
  it.each(standardChunkings(reply, seed))(
    'collects stdout, stderr and the exit status from frames fed %s',
    async (how, chunks) => {
      const peer = new ScriptedPeer();
      const { result } = await startRun(new CommandClient(peer), peer, 'mixed', 10);
      await peer.deliver(chunks);
      const { stdout: out, stderr: err, exit: status } = await settle(result, `the reply fed ${how}`);
      expectBytes(
        out,
        Buffer.concat([Buffer.from('hi\n'), Buffer.from([0, 0x0a, 0xff, 0, 0, 0, 9])]),
        `stdout (fed ${how})`,
      );
      expectBytes(err, 'warn\n', `stderr (fed ${how})`);
      expect(status, `the exit status (fed ${how})`).toEqual({ code: 3, signal: null });
    },
  );

  it('reads an exit by signal, with its reason, and skips 0-length frames (keepalives)', async () => {
    const peer = new ScriptedPeer();
    const { result } = await startRun(new CommandClient(peer), peer, 'hang', 9);
    await peer.deliver([Buffer.alloc(4), exit('{"code":null,"signal":"SIGKILL","reason":"timeout"}')]);
    expect((await settle(result, 'a killed command')).exit).toEqual({
      code: null,
      signal: 'SIGKILL',
      reason: 'timeout',
    });
  });

  it('runs two commands on one connection, the first with 5 MiB of output, and the second reply comes out clean', async () => {
    const peer = new ScriptedPeer();
    const client = new CommandClient(peer);
    const big = pattern(5 * 1024 * 1024);
    const frames: Buffer[] = [];
    for (let at = 0; at < big.length; at += 65_535) frames.push(stdout(big.subarray(at, at + 65_535)));
    const { result: first } = await startRun(client, peer, 'big', 8);
    await peer.deliver([Buffer.concat([...frames, exit('{"code":0,"signal":null}')])]);
    expectBytes((await settle(first, 'the 5 MiB reply')).stdout, big, 'the 5 MiB of stdout');
    const { result: second } = await startRun(client, peer, 'hello', 8 + 10);
    await peer.deliver([stdout('hi\n'), exit('{"code":0,"signal":null}')]);
    const next = await settle(second, 'the reply after the 5 MiB one');
    expectBytes(next.stdout, 'hi\n', 'the stdout of the second command');
    expect(next.stderr.length).toBe(0);
  });

  it('answers calls made together one after the other, each with its own reply', async () => {
    const peer = new ScriptedPeer();
    const client = new CommandClient(peer);
    const { result: a } = await startRun(client, peer, 'a', 6);
    const b = client.run('b');
    b.catch(() => {});
    await peer.deliver([stdout('from a'), exit('{"code":0,"signal":null}')]);
    await peer.waitForBytes(12, { message: 'your client never sent the second RUN frame (for "b")' });
    await peer.deliver([stdout('from b'), exit('{"code":1,"signal":null}')]);
    const [ra, rb] = await Promise.all([settle(a, 'run("a")'), settle(b, 'run("b")')]);
    expectBytes(ra.stdout, 'from a', 'the output of "a"');
    expectBytes(rb.stdout, 'from b', 'the output of "b"');
    expect(rb.exit.code).toBe(1);
  });

  it('fails with RemoteCommandError carrying the ERROR frame text, and the next run still works', async () => {
    const peer = new ScriptedPeer();
    const client = new CommandClient(peer);
    const { result: refused } = await startRun(client, peer, 'ls; rm -rf /', 17);
    await peer.deliver([typed(FrameType.ERROR, 'unknown command "ls; rm -rf /"')]);
    const error = await failure(refused, 'a request the server refused');
    expect(error, `run() failed with ${error.name}: ${error.message}`).toBeInstanceOf(RemoteCommandError);
    expect(error.message).toBe('unknown command "ls; rm -rf /"');
    const { result: next } = await startRun(client, peer, 'hello', 17 + 10);
    await peer.deliver([stdout('hi\n'), exit('{"code":0,"signal":null}')]);
    expectBytes((await settle(next, 'the run after a refused one')).stdout, 'hi\n', 'the next reply');
  });

  it('fails, saying so, when the connection ends before the EXIT frame', async () => {
    const peer = new ScriptedPeer();
    const { result } = await startRun(new CommandClient(peer), peer, 'hello', 10);
    await peer.deliver([stdout('hi')], { end: true });
    const error = await failure(result, 'a reply cut off before its EXIT frame');
    expect(error.message, 'the error should say the EXIT frame never came').toMatch(/exit/i);
  });

  it('fails with FrameError FRAME_TOO_LARGE on a frame header over 64 KiB, before its payload arrives', async () => {
    const peer = new ScriptedPeer();
    const { result } = await startRun(new CommandClient(peer), peer, 'hello', 10);
    await peer.deliver([hex('00 01 00 01')]); // 65,537: one byte over
    const error = await failure(result, 'a frame header of 00 01 00 01');
    expect(error, `run() failed with ${error.name}: ${error.message}`).toBeInstanceOf(FrameError);
    expect((error as FrameError).code).toBe('FRAME_TOO_LARGE');
  });

  it('fails when the output passes maxOutputBytes', async () => {
    const peer = new ScriptedPeer();
    const { result } = await startRun(new CommandClient(peer, { maxOutputBytes: 10 }), peer, 'chatty', 11);
    await peer.deliver([stdout('123456'), stderr('789'), stdout('ab')]);
    const error = await failure(result, '11 bytes of output with maxOutputBytes 10');
    expect(error.message, 'the error should name the limit').toMatch(/\b10\b/);
  });

  it.each([
    ['a frame of unknown type 0x07', typed(0x07, 'x')],
    ['an EXIT frame that is not JSON', exit('code=0')],
    ['an EXIT frame without "code"', exit('{"signal":null}')],
    ['an EXIT frame whose code is a string', exit('{"code":"0","signal":null}')],
    ['an EXIT frame with an unknown reason', exit('{"code":null,"signal":"SIGKILL","reason":"bored"}')],
    // The same strict UTF-8 as parseHeader: a bad byte is an error, not a U+FFFD.
    [
      'an EXIT frame that is not UTF-8 (ff in the signal name)',
      typed(FrameType.EXIT, Buffer.from('7b22636f6465223a6e756c6c2c227369676e616c223a22ff227d', 'hex')),
    ],
  ])('fails on %s', async (what, bytes) => {
    const peer = new ScriptedPeer();
    const { result } = await startRun(new CommandClient(peer), peer, 'hello', 10);
    await peer.deliver([bytes]);
    await failure(result, what);
  });

  it('refuses an empty command id, one over 64 bytes, or one that is not valid Unicode, without sending anything', async () => {
    const peer = new ScriptedPeer();
    const client = new CommandClient(peer);
    await failure(
      Promise.resolve().then(() => client.run('')),
      'run("") (an empty id: refuse it with a RangeError, without sending anything)',
    );
    await failure(
      Promise.resolve().then(() => client.run('x'.repeat(65))),
      'run of a 65-byte id (over MAX_ID_BYTES: refuse it with a RangeError, without sending anything)',
    );
    await failure(
      Promise.resolve().then(() => client.run('bad\uD800')),
      'run of an id holding a lone surrogate, \\uD800 (no UTF-8 can encode it: Buffer.from would send ef bf bd instead; refuse it with a RangeError)',
    );
    expect(peer.received.length, 'bytes sent for invalid ids').toBe(0);
  });
});
