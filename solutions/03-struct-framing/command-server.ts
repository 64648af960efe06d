// Lesson 03, task 4: a framed command server.
//
// Say you run lesson 02's remote command runner, and a command prints a
// NUL byte, your delimiter, or 5 MiB. With frames, every byte arrives
// intact and the reader always knows where a reply ends: STDOUT and STDERR
// frames carry the output, and one EXIT frame carries the exit status.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { FrameType, MAX_COMMAND_FRAME, MAX_ID_BYTES, MAX_OUTPUT_CHUNK, type ExitStatus } from './command-protocol.ts';
import { FrameDecoder, FrameError, encodeFrame } from './frame-codec.ts';

export interface CommandServerOptions {
  /**
   * The allowlist: command id -> argv (the program, then its arguments).
   * Run as is, without a shell, so nothing in a request is ever parsed as
   * shell syntax: `{ date: ['/bin/date', '-u'] }`.
   */
  commands: Readonly<Record<string, readonly [string, ...string[]]>>;
  /** Kill a command (SIGKILL) that runs longer than this. Default 10 s. */
  timeoutMs?: number;
  /** Kill a command once its stdout and stderr together pass this many bytes. Default 16 MiB. */
  maxOutputBytes?: number;
  /** Close a connection that sends and receives nothing for this long. Default 60 s. */
  idleTimeoutMs?: number;
}

/**
 * Creates (but does not start) a server that answers each RUN frame with
 * the command's output as STDOUT/STDERR frames, then one EXIT frame; an
 * unknown id gets an ERROR frame. Requests on one connection are answered
 * one at a time, in order. A broken frame gets an ERROR frame, then the
 * server ends the connection: it can no longer tell where frames start.
 */
export function createCommandServer(options: CommandServerOptions): Server {
  const settings: Required<CommandServerOptions> = {
    commands: options.commands,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxOutputBytes: options.maxOutputBytes ?? 16 * 1024 * 1024,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
  };
  // allowHalfOpen: a client may send its requests and end() its side, and
  // still read the replies.
  return createServer({ allowHalfOpen: true }, (socket) => void serve(socket, settings));
}

async function serve(socket: Socket, settings: Required<CommandServerOptions>): Promise<void> {
  socket.on('error', () => socket.destroy()); // ECONNRESET must not crash the server
  socket.setTimeout(settings.idleTimeoutMs, () => socket.destroy()); // 'timeout' alone closes nothing
  try {
    // for await reads one request, answers it completely, then reads the
    // next: replies never interleave, and unread requests wait (see framesOf).
    for await (const frame of framesOf(socket)) {
      if (frame.length === 0) continue; // a keepalive
      if (frame[0] !== FrameType.RUN) {
        return hangUp(socket, `frame type 0x${frame[0]!.toString(16).padStart(2, '0')} is not a request (0x00 RUN)`);
      }
      const id = commandId(frame.subarray(1));
      // Own properties only: "constructor" or "__proto__" must not find
      // something on Object.prototype.
      const argv = id.ok && Object.hasOwn(settings.commands, id.text) ? settings.commands[id.text] : undefined;
      if (!id.ok) socket.write(typed(FrameType.ERROR, id.refusal));
      else if (argv === undefined) socket.write(typed(FrameType.ERROR, `unknown command ${JSON.stringify(id.text)}`));
      else await run(socket, argv, settings);
      // Backpressure for every reply: while the client reads nothing, read
      // no more requests. They wait in the decoder and the kernel, and the
      // replies queued here stay within the socket's buffer.
      if (socket.writableNeedDrain) await drained(socket);
    }
    socket.end(); // the client ended its side and every request is answered
  } catch (error) {
    if (error instanceof FrameError) hangUp(socket, error.message);
    else socket.destroy();
  }
}

/**
 * The client's frames, one at a time, as the loop asks for them; then, if
 * the bytes broke the framing, the FrameError. Why not simply
 * `for await (const frame of socket.pipe(decoder))`? That loop throws as
 * soon as the decoder fails, and drops the good frames still waiting in
 * the decoder: RUNs sent just before a broken frame would get no reply.
 * Here the decoder hands over each frame as it decodes it, and the socket
 * stays paused until those frames are answered (backpressure).
 */
async function* framesOf(socket: Socket): AsyncGenerator<Buffer> {
  const decoder = new FrameDecoder({ maxFrameSize: MAX_COMMAND_FRAME });
  let frames: Buffer[] = [];
  let failure: Error | undefined;
  let ended = false;
  let wake = (): void => {};
  decoder.on('data', (frame: Buffer) => frames.push(frame)); // during write(), in order
  decoder.on('error', (error) => {
    failure = error;
    wake();
  });
  decoder.on('end', () => {
    ended = true;
    wake();
  });
  const onData = (chunk: Buffer): void => {
    socket.pause(); // no more bytes until this chunk's frames are answered
    decoder.write(chunk);
    wake();
  };
  socket.on('data', onData);
  socket.on('end', () => decoder.end()); // a FIN: the decoder says whether it fell inside a frame
  socket.once('close', () => wake()); // a reset: stop, and answer nothing more
  try {
    for (;;) {
      const batch = frames;
      frames = [];
      for (const frame of batch) {
        if (socket.destroyed) return;
        yield frame;
      }
      if (socket.destroyed || (ended && frames.length === 0)) return;
      if (failure) throw failure;
      if (frames.length === 0) await new Promise<void>((resolve) => ((wake = resolve), socket.resume()));
    }
  } finally {
    socket.off('data', onData); // after a broken frame, hangUp() reads on and drops the bytes
    decoder.destroy();
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A RUN frame's id: 1 to MAX_ID_BYTES bytes of valid UTF-8, or the ERROR text that refuses it. */
function commandId(data: Uint8Array): { ok: true; text: string } | { ok: false; refusal: string } {
  if (data.length < 1 || data.length > MAX_ID_BYTES) {
    return { ok: false, refusal: `command id must be 1 to ${MAX_ID_BYTES} bytes, got ${data.length}` };
  }
  try {
    return { ok: true, text: strictUtf8.decode(data) }; // never replaced: an id is matched byte for byte
  } catch {
    return { ok: false, refusal: 'command id is not valid UTF-8' };
  }
}

/** Resolves once the socket can take more (its 'drain'), or is gone. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** Says why in an ERROR frame, then ends the connection. */
function hangUp(socket: Socket, why: string): void {
  if (socket.destroyed) return;
  socket.end(typed(FrameType.ERROR, why));
  // Read and drop whatever the client still sends: closing with unread
  // bytes would make the kernel send a reset, which can destroy the ERROR
  // frame before the client reads it. The idle timeout bounds the wait.
  socket.resume();
}

/** Runs one command, streams its output as frames, and resolves once its EXIT (or ERROR) frame is written. */
function run(
  socket: Socket,
  [file, ...args]: readonly [string, ...string[]],
  settings: Required<CommandServerOptions>,
): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { shell: false, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const outputs = [child.stdout, child.stderr];
    let reason: ExitStatus['reason'];
    let sent = 0;
    let finished = false;

    const kill = (why: ExitStatus['reason']): void => {
      reason ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('timeout'), settings.timeoutMs);
    const onClientGone = (): void => {
      child.kill('SIGKILL');
      for (const s of outputs) s.resume(); // let the pipes drain so 'close' can come
    };
    socket.once('close', onClientGone);

    const forward = (type: number) => (chunk: Buffer) => {
      if (reason === 'output-limit') return; // past the cap: drop the rest
      const room = settings.maxOutputBytes - sent;
      if (chunk.length > room) {
        chunk = chunk.subarray(0, room);
        kill('output-limit');
      }
      sent += chunk.length;
      for (let at = 0; at < chunk.length; at += MAX_OUTPUT_CHUNK)
        send(typed(type, chunk.subarray(at, at + MAX_OUTPUT_CHUNK)));
    };
    // Backpressure: when the socket's buffer is full, stop reading the
    // command's output until the client catches up.
    let waiting = false;
    const send = (frame: Buffer): void => {
      if (socket.destroyed || socket.write(frame) || waiting) return;
      waiting = true;
      for (const s of outputs) s.pause();
      socket.once('drain', () => {
        waiting = false;
        for (const s of outputs) s.resume();
      });
    };
    child.stdout.on('data', forward(FrameType.STDOUT));
    child.stderr.on('data', forward(FrameType.STDERR));

    const finish = (frame: Buffer): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.off('close', onClientGone);
      if (!socket.destroyed) socket.write(frame);
      resolve();
    };
    // 'close', not 'exit': it comes after stdout and stderr are fully read,
    // so the EXIT frame follows every output frame.
    child.once('close', (code, signal) => {
      const status: ExitStatus = { code, signal, ...(reason && { reason }) };
      finish(typed(FrameType.EXIT, JSON.stringify(status)));
    });
    child.once('error', (error) => finish(typed(FrameType.ERROR, `could not run the command: ${error.message}`)));
  });
}

/** A frame whose payload is a type byte, then `data`. */
function typed(type: number, data: Uint8Array | string): Buffer {
  return encodeFrame([Buffer.of(type), typeof data === 'string' ? Buffer.from(data, 'utf8') : data], {
    maxFrameSize: MAX_COMMAND_FRAME,
  });
}
