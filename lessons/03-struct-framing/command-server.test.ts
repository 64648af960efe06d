import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  expectBytes,
  nextEvent,
  pattern,
  readExactly,
  readUntilEnd,
  useNetKit,
  withDeadline,
} from '../../runner/kit/index.ts';
import { FrameType, MAX_COMMAND_FRAME, type ExitStatus } from './command-protocol.ts';
import { createCommandServer, type CommandServerOptions } from './command-server.ts';

const kit = useNetKit();

// Harmless commands only: this same Node.js binary running fixed scripts.
const js = (code: string, ...args: string[]): [string, ...string[]] => [process.execPath, '-e', code, ...args];
const FIVE_MIB = 5 * 1024 * 1024;
const SHELL_BAIT = '$(id); rm -rf ~ `ls` | cat';
const commands: CommandServerOptions['commands'] = {
  hello: js('process.stdout.write("hi\\n")'),
  fail: js('process.stderr.write("oops\\n"); process.exitCode = 3'),
  bytes: js('process.stdout.write(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))'),
  big: js(
    // The kit's pattern() (every byte value, no repeats), its own source sent along: one definition of the bytes.
    `${pattern.toString()}; process.stdout.write(pattern(${FIVE_MIB}))`,
  ),
  'echo-arg': js('process.stdout.write(process.argv[1])', SHELL_BAIT),
  // Reachable only by a server that decodes ids lossily: bytes 62 61 64 ff
  // would become "bad\uFFFD".
  'bad\uFFFD': js('process.stdout.write("ran")'),
  ['x'.repeat(64)]: js('process.stdout.write("sixty-four")'),
  hang: js('process.stdout.write(String(process.pid)); setInterval(() => {}, 1000)'),
  flood: js(
    'const b = Buffer.alloc(65536, 120); let n = 32; const go = () => { while (n-- > 0) if (!process.stdout.write(b)) return process.stdout.once("drain", go); }; go()',
  ),
  // Its process id and a newline, then 12 MiB as fast as they are taken; then it waits to be killed.
  pour: js(
    'process.stdout.write(process.pid + "\\n"); const b = Buffer.alloc(1 << 20, 120); for (let i = 0; i < 12; i++) process.stdout.write(b); setInterval(() => {}, 1000)',
  ),
};

/** A RUN frame, built by the test: u32be length | 00 | id. */
function runFrame(id: string | Buffer): Buffer {
  const data = Buffer.from(id);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(data.length + 1);
  header[4] = FrameType.RUN;
  return Buffer.concat([header, data]);
}

interface Reply {
  stdout: Buffer;
  stderr: Buffer;
  exit?: ExitStatus;
  exitJson?: string;
  error?: string;
  /** The type byte of every frame of the reply, in order. */
  types: number[];
}

/** Reads the server's frames with the test's own parser, so these tests never depend on your decoder. */
class FrameReader {
  readonly #frames: Array<{ type: number; data: Buffer }> = [];
  #pending: Buffer = Buffer.alloc(0);
  #ended = false;
  #problem: string | undefined;
  #wake = (): void => {};

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      let buf = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
      while (buf.length >= 4) {
        const length = buf.readUInt32BE(0);
        if (length > MAX_COMMAND_FRAME || length === 0) {
          this.#problem ??= `your server sent a frame header announcing ${length} bytes: frames carry a type byte and at most ${MAX_COMMAND_FRAME} bytes in all (cut output into pieces of at most MAX_OUTPUT_CHUNK, 65,535 bytes, one frame each)`;
          break;
        }
        if (buf.length < 4 + length) break;
        this.#frames.push({ type: buf[4]!, data: buf.subarray(5, 4 + length) });
        buf = buf.subarray(4 + length);
      }
      this.#pending = buf;
      this.#wake();
    });
    const ended = (): void => {
      this.#ended = true;
      this.#wake();
    };
    socket.on('end', ended);
    socket.on('close', ended);
  }

  /** The next frame, or undefined once the server has closed the connection. */
  async next(): Promise<{ type: number; data: Buffer } | undefined> {
    while (this.#frames.length === 0 && !this.#ended && this.#problem === undefined)
      await new Promise<void>((r) => (this.#wake = r));
    if (this.#problem !== undefined) throw new Error(this.#problem);
    return this.#frames.shift();
  }

  /** Reads frames until an EXIT or ERROR frame ends the reply. */
  reply(what: string, ms = 15_000): Promise<Reply> {
    const types: number[] = [];
    const read = async (): Promise<Reply> => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const reply: Reply = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), types };
      for (;;) {
        const frame = await this.next();
        if (frame === undefined)
          throw new Error(
            `${what}: your server closed the connection before an EXIT or ERROR frame (frame types so far: ${names(types)})`,
          );
        types.push(frame.type);
        if (frame.type === FrameType.STDOUT) stdout.push(frame.data);
        else if (frame.type === FrameType.STDERR) stderr.push(frame.data);
        else if (frame.type === FrameType.EXIT) {
          reply.exitJson = frame.data.toString();
          reply.exit = JSON.parse(reply.exitJson) as ExitStatus;
          break;
        } else if (frame.type === FrameType.ERROR) {
          reply.error = frame.data.toString();
          break;
        } else
          throw new Error(
            `${what}: your server sent a frame of type 0x${frame.type.toString(16)}, which the protocol does not have`,
          );
      }
      return { ...reply, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) };
    };
    return withDeadline(read(), {
      ms,
      message: () =>
        `${what}: your server never finished its reply with an EXIT or ERROR frame (frame types so far: ${names(types)})`,
    });
  }
}

/** Frame types as a person reads them, for messages: "STDOUT (0x01), EXIT (0x03)". */
function names(types: readonly number[]): string {
  const known = Object.entries(FrameType);
  return (
    types
      .map((t) => `${known.find(([, v]) => v === t)?.[0] ?? 'unknown'} (0x${t.toString(16).padStart(2, '0')})`)
      .join(', ') || 'none'
  );
}

async function start(options: Partial<CommandServerOptions> = {}): Promise<number> {
  return kit.listen(createCommandServer({ commands, ...options }));
}

async function connect(port: number): Promise<{ socket: Socket; reader: FrameReader }> {
  const socket = await kit.connect(port, { allowHalfOpen: true });
  return { socket, reader: new FrameReader(socket) };
}

// 30 s per test, 15 s per reply: most replies start a Node.js process,
// which can take seconds on a loaded machine.
describe('Task 4: a framed command server', { timeout: 30_000 }, () => {
  it('answers RUN "hello" with a STDOUT frame of "hi\\n", then EXIT {"code":0,"signal":null}', async () => {
    const { socket, reader } = await connect(await start());
    socket.write(runFrame('hello'));
    const reply = await reader.reply('the reply to RUN "hello"');
    expectBytes(reply.stdout, 'hi\n', 'the stdout of "hello"');
    expect(reply.exit, `the EXIT frame's JSON (${reply.exitJson})`).toEqual({ code: 0, signal: null });
    expect(reply.types.at(-1), 'the last frame of a reply is EXIT (0x03)').toBe(FrameType.EXIT);
  });

  it('sends stderr in STDERR frames, and the exit code 3', async () => {
    const { socket, reader } = await connect(await start());
    socket.write(runFrame('fail'));
    const reply = await reader.reply('the reply to RUN "fail"');
    expectBytes(reply.stderr, 'oops\n', 'the stderr of "fail"');
    expect(reply.stdout.length, 'nothing was written to stdout').toBe(0);
    expect(reply.exit, `the EXIT frame's JSON (${reply.exitJson})`).toEqual({ code: 3, signal: null });
  });

  it('delivers all 256 byte values intact, 0x00 and newlines included', async () => {
    const { socket, reader } = await connect(await start());
    socket.write(runFrame('bytes'));
    const reply = await reader.reply('the reply to RUN "bytes"');
    expectBytes(reply.stdout, Buffer.from(Array.from({ length: 256 }, (_, i) => i)), 'the stdout of "bytes"');
  });

  it('delivers 5 MiB of output intact in frames of at most 64 KiB, and the next reply starts clean', async () => {
    const { socket, reader } = await connect(await start());
    socket.write(runFrame('big'));
    const big = await reader.reply('the reply to RUN "big" (5 MiB)', 15_000);
    expectBytes(big.stdout, pattern(FIVE_MIB), 'the 5 MiB stdout of "big"');
    expect(big.exit).toEqual({ code: 0, signal: null });
    socket.write(runFrame('hello'));
    const next = await reader.reply('the reply to RUN "hello" after the 5 MiB');
    expectBytes(next.stdout, 'hi\n', 'the stdout of "hello" after the 5 MiB reply');
  });

  // 30 s: starting a Node.js process can take seconds on a loaded machine, then 4 s of looks.
  it('stops reading the output of a command while the client reads nothing: at most 1 MiB waits in the server (backpressure)', {
    timeout: 30_000,
  }, async () => {
    const LIMIT = 1024 * 1024;
    // "pour" writes 12 MiB, then stays alive until the test kills it (see
    // finally below) or, failing that, this timeout does. 20 s: on a loaded
    // machine a new Node.js process may take seconds to start.
    const server = createCommandServer({ commands, timeoutMs: 20_000 });
    const accepted = nextEvent<[Socket]>(server, 'connection', {
      message: 'your server never accepted the connection',
    });
    const socket = await kit.connect(await kit.listen(server), { allowHalfOpen: true });
    const [serverSide] = await accepted;
    socket.write(runFrame('pour'));
    // The first frame holds the command's process id, and maybe the start of its output.
    const what = 'the first frame of the reply to RUN "pour" (a STDOUT frame with its process id, then 12 MiB of "x")';
    const header = await readExactly(socket, 5, { ms: 10_000, message: `${what} never came` });
    const length = header.readUInt32BE(0);
    expect(header[4], `${what}: its type byte should be STDOUT (0x01)`).toBe(FrameType.STDOUT);
    expect(
      length >= 2 && length <= MAX_COMMAND_FRAME,
      `${what} announced ${length} bytes: frames carry a type byte and at most ${MAX_COMMAND_FRAME} bytes in all`,
    ).toBe(true);
    const data = (
      await readExactly(socket, length - 1, { ms: 4_000, message: `${what} never arrived whole` })
    ).toString('latin1');
    const pid = Number(data.slice(0, data.indexOf('\n')));
    expect(
      Number.isInteger(pid) && pid > 0,
      `${what} began with ${JSON.stringify(data.slice(0, 20))}, not a process id and a newline`,
    ).toBe(true);
    // From here on the client reads nothing. The kernel's buffers fill up
    // (a few MiB), then socket.write() returns false and frames wait in the
    // server's socket: its writableLength. A server that pauses the
    // command's output keeps that small; one that ignores write()'s return
    // value queues everything the command writes.
    let peak = 0;
    try {
      // No event says when another process ends, so poll: every 20 ms, at
      // most 200 times and for 4 s, while the command runs. A look counts
      // only if the command was still running after it: once it has ended,
      // Node reads what is left of its output whatever the server does.
      const until = Date.now() + 4_000;
      for (let i = 0; i < 200 && Date.now() < until && peak <= LIMIT; i++) {
        const queued = serverSide.writableLength;
        if (!isAlive(pid)) break;
        peak = Math.max(peak, queued);
        await sleep(20);
      }
      expect(
        peak,
        `while the client read nothing, ${peak.toLocaleString('en-US')} bytes of frames waited in your server's socket (the limit here is 1 MiB, ${LIMIT.toLocaleString('en-US')} bytes): when socket.write() returns false, pause child.stdout and child.stderr until the socket emits 'drain'`,
      ).toBeLessThanOrEqual(LIMIT);
    } finally {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('stops reading requests while the client reads no replies: at most 1 MiB of ERROR frames waits in the server (backpressure)', async () => {
    const LIMIT = 1024 * 1024;
    const server = createCommandServer({ commands });
    const accepted = nextEvent<[Socket]>(server, 'connection', {
      message: 'your server never accepted the connection',
    });
    const socket = await kit.connect(await kit.listen(server), { allowHalfOpen: true });
    const [serverSide] = await accepted;
    // 200,000 RUN frames of a 64-byte unknown id: 13.8 MB of requests, each
    // answered with an 87-byte ERROR frame. That is more than the kernel's
    // buffers hold, so a server that ignores write()'s return value queues
    // megabytes of replies in its socket (its writableLength).
    const bad = runFrame('u'.repeat(64));
    const requests = Buffer.concat(Array.from({ length: 200_000 }, () => bad));
    socket.write(requests);
    // The client reads nothing. Poll the server's queue every 20 ms (no
    // event says "the server has stopped reading"), at most 250 times and
    // for 5 s, until the queue passes the limit or the server has read
    // nothing new for 25 looks in a row: it stopped reading, as it should.
    let peak = 0;
    let still = 0;
    let lastRead = -1;
    const until = Date.now() + 5_000;
    for (let i = 0; i < 250 && Date.now() < until && peak <= LIMIT && still < 25; i++) {
      peak = Math.max(peak, serverSide.writableLength);
      still = serverSide.bytesRead === lastRead ? still + 1 : 0;
      lastRead = serverSide.bytesRead;
      await sleep(20);
    }
    expect(
      peak,
      `while the client read nothing, ${peak.toLocaleString('en-US')} bytes of ERROR frames waited in your server's socket (the limit here is 1 MiB): when socket.write() returns false, wait for 'drain' before you read the next request`,
    ).toBeLessThanOrEqual(LIMIT);
    expect(
      serverSide.bytesRead,
      'your server read every request although the client read none of its replies',
    ).toBeLessThan(requests.length);
    const reader = new FrameReader(socket);
    const first = await reader.reply('the first reply, once the client reads again');
    expect(first.types, 'the reply to an unknown id is one ERROR frame').toEqual([FrameType.ERROR]);
  });

  it('answers two requests that arrive in one write, in order', async () => {
    const { socket, reader } = await connect(await start());
    socket.write(Buffer.concat([runFrame('hello'), runFrame('fail')]));
    const first = await reader.reply('the first reply (to "hello")');
    const second = await reader.reply('the second reply (to "fail")');
    expectBytes(first.stdout, 'hi\n', 'the first reply');
    expect(second.exit?.code, 'the second reply is the exit of "fail"').toBe(3);
  });

  it('runs argv without a shell: the argument "$(id); rm -rf ~ `ls` | cat" is printed, not run', async () => {
    const { socket, reader } = await connect(await start());
    socket.write(runFrame('echo-arg'));
    const reply = await reader.reply('the reply to RUN "echo-arg"');
    expectBytes(reply.stdout, SHELL_BAIT, 'the argument, printed back by the command');
  });

  it.each(['ls; rm -rf /', '$(id)', 'hello; id', 'constructor', '__proto__', 'toString'])(
    'refuses %j, which is not on the allowlist, with an ERROR frame, and keeps the connection open',
    async (id) => {
      const { socket, reader } = await connect(await start());
      socket.write(runFrame(id));
      const reply = await reader.reply(
        `the reply to RUN ${JSON.stringify(id)}, an id not on the allowlist (look ids up with Object.hasOwn: a plain commands[id] finds "constructor" on every object)`,
      );
      expect(reply.types, `the reply to ${JSON.stringify(id)} should be one ERROR frame (0x04)`).toEqual([
        FrameType.ERROR,
      ]);
      expect(reply.error, 'the ERROR frame should say why').not.toBe('');
      socket.write(runFrame('nope'));
      const next = await reader.reply('the reply to a second unknown id on the same connection');
      expect(next.types, 'the second request on the connection should get its own ERROR frame').toEqual([
        FrameType.ERROR,
      ]);
    },
  );

  it.each([
    ['an empty id', Buffer.alloc(0), 'command id must be 1 to 64 bytes, got 0'],
    ['a 65-byte id', Buffer.from('x'.repeat(65)), 'command id must be 1 to 64 bytes, got 65'],
    ['an id that is not UTF-8 (62 61 64 ff)', Buffer.from('626164ff', 'hex'), 'command id is not valid UTF-8'],
  ])(
    'refuses %s with the documented ERROR frame, runs nothing, and keeps the connection open',
    async (what, id, message) => {
      const { socket, reader } = await connect(await start());
      socket.write(runFrame(id));
      const reply = await reader.reply(`the reply to a RUN frame with ${what}`);
      expect(reply.types, `the reply to ${what} should be one ERROR frame (0x04): nothing runs`).toEqual([
        FrameType.ERROR,
      ]);
      expect(reply.error, `the ERROR text for ${what} (README, Wire format)`).toBe(message);
      socket.write(runFrame('x'.repeat(64)));
      const next = await reader.reply('the reply to a 64-byte id on the same connection, after that');
      expectBytes(
        next.stdout,
        'sixty-four',
        'the output of the command whose id is 64 bytes long (the longest allowed)',
      );
    },
  );

  it('quotes an unknown id exactly as JSON.stringify does', async () => {
    const { socket, reader } = await connect(await start());
    const id = 'say "hi"\\\t\u0001\u007f你';
    socket.write(runFrame(id));
    const reply = await reader.reply('the reply to an unknown id with quotes, a backslash, a tab, 0x01, DEL and 你');
    expect(reply.error).toBe(`unknown command ${JSON.stringify(id)}`);
  });

  it('runs an allowed command after refusing one, on the same connection', async () => {
    const { socket, reader } = await connect(await start());
    socket.write(runFrame('ls; rm -rf /'));
    expect((await reader.reply('the reply to RUN "ls; rm -rf /"')).types).toEqual([FrameType.ERROR]);
    socket.write(runFrame('hello'));
    expectBytes(
      (await reader.reply('the reply to RUN "hello" after a refused request')).stdout,
      'hi\n',
      'the next reply',
    );
  });

  it('kills a command that runs past timeoutMs: EXIT {"code":null,"signal":"SIGKILL","reason":"timeout"}', async () => {
    const { socket, reader } = await connect(await start({ timeoutMs: 300 }));
    socket.write(runFrame('hang'));
    const reply = await reader.reply('the reply to RUN "hang" with a 300 ms timeout');
    expect(reply.exit, `the EXIT frame's JSON (${reply.exitJson})`).toEqual({
      code: null,
      signal: 'SIGKILL',
      reason: 'timeout',
    });
  });

  it('stops a command at maxOutputBytes: exactly that many bytes, then EXIT with reason "output-limit"', async () => {
    const { socket, reader } = await connect(await start({ maxOutputBytes: 100_000 }));
    socket.write(runFrame('flood'));
    const reply = await reader.reply('the reply to RUN "flood" (2 MiB of output, 100,000 allowed)');
    expect(reply.stdout.length, 'bytes of output sent before the limit').toBe(100_000);
    expect(reply.exit?.reason, `the EXIT frame's JSON (${reply.exitJson})`).toBe('output-limit');
  });

  it('answers a frame header claiming 4 GiB with an ERROR frame, closes, and keeps serving others', async () => {
    const port = await start();
    const { socket, reader } = await connect(port);
    socket.write(Buffer.from('ffffffff00', 'hex'));
    const reply = await reader.reply('the reply to a frame header of ff ff ff ff');
    expect(reply.types, 'one ERROR frame').toEqual([FrameType.ERROR]);
    await readUntilEnd(socket, { message: 'after the ERROR frame, your server should end the connection' });
    const other = await connect(port);
    other.socket.write(runFrame('hello'));
    expectBytes((await other.reader.reply('a new client, after that')).stdout, 'hi\n', 'the reply to the new client');
  });

  // The requests that came before a broken frame are whole: each gets its
  // reply, in order, and only then the ERROR that ends the connection.
  it.each([
    ['a frame header claiming 4 GiB', Buffer.from('ffffffff', 'hex'), false, 'a frame header (ff ff ff ff) announces'],
    ['a frame cut short by the end of the stream', Buffer.from('000000050068', 'hex'), true, 'the stream ended inside'],
  ])(
    'answers the requests that came before %s, in the same write, then sends the ERROR',
    async (_what, broken, end, error) => {
      const { socket, reader } = await connect(await start());
      const bytes = Buffer.concat([runFrame('hello'), runFrame('nope'), runFrame('hello'), broken]);
      if (end) socket.end(bytes);
      else socket.write(bytes);
      const replies = [];
      for (const what of ['RUN "hello"', 'RUN "nope"', 'the second RUN "hello"'])
        replies.push(await reader.reply(`the reply to ${what}, sent before the broken frame in the same write`));
      expectBytes(replies[0]!.stdout, 'hi\n', 'the reply to the first RUN "hello"');
      expect(replies[1]!.error, 'the reply to RUN "nope"').toBe('unknown command "nope"');
      expectBytes(replies[2]!.stdout, 'hi\n', 'the reply to the second RUN "hello"');
      const last = await reader.reply('the ERROR frame for the broken frame, after the three replies');
      expect(
        last.error?.startsWith(error),
        `the ERROR frame for the broken frame starts "${error}": ${last.error}`,
      ).toBe(true);
      await readUntilEnd(socket, { message: 'after the ERROR frame, your server should end the connection' });
    },
  );

  it('answers a frame that is not RUN with an ERROR frame, then closes', async () => {
    const { socket, reader } = await connect(await start());
    socket.write(Buffer.from('000000030168690a', 'hex')); // a STDOUT frame, from the client
    const reply = await reader.reply('the reply to a STDOUT frame sent by the client');
    expect(reply.types, 'one ERROR frame').toEqual([FrameType.ERROR]);
    await readUntilEnd(socket, { message: 'after the ERROR frame, your server should end the connection' });
  });

  it('replies to a client that sent its request and ended its side (half-close)', async () => {
    const { socket, reader } = await connect(await start());
    socket.end(runFrame('hello'));
    expectBytes(
      (
        await reader.reply(
          'the reply to RUN "hello" sent with end() (create the server with allowHalfOpen: true, or Node ends your side as soon as the client ends its own)',
        )
      ).stdout,
      'hi\n',
      'the reply after a half-close',
    );
    await readUntilEnd(socket, { message: 'once every request is answered, your server should end its side too' });
  });

  it('closes a connection that stays silent past idleTimeoutMs', async () => {
    const { socket } = await connect(await start({ idleTimeoutMs: 200 }));
    await readUntilEnd(socket, {
      ms: 3_000,
      message: 'your server kept a silent connection open past its 200 ms idle timeout.',
    });
  });

  it('kills the running command when the client resets the connection', async () => {
    const { socket, reader } = await connect(await start({ timeoutMs: 20_000 }));
    socket.write(runFrame('hang'));
    const first = await withDeadline(reader.next(), {
      ms: 15_000,
      message: 'the "hang" command never printed its process id',
    });
    expect(first?.type, 'the first frame of the reply to "hang" should be STDOUT (0x01), with its process id').toBe(
      FrameType.STDOUT,
    );
    const pid = Number(first!.data.toString());
    expect(
      Number.isInteger(pid) && pid > 0,
      `"hang" printed ${JSON.stringify(first!.data.toString())}, not a process id`,
    ).toBe(true);
    socket.resetAndDestroy();
    try {
      // No event tells us another process has died, so poll: every 20 ms, at most 100 times.
      let alive = true;
      for (let i = 0; i < 100 && alive; i++) {
        await sleep(20);
        alive = isAlive(pid);
      }
      expect(
        alive,
        'the command was still running 2 s after its client reset the connection: kill it on the socket\'s "close"',
      ).toBe(false);
    } finally {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 checks that the process exists
    return true;
  } catch {
    return false;
  }
}
