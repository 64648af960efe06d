// Lesson 03, task 5: a framed command client.
//
// Say you call the command server of task 4. You send one RUN frame, then
// read frames until the EXIT frame that ends the reply. Output can be
// anything (NUL bytes, newlines, 5 MiB): the frames say where it stops,
// so the next command's reply starts clean.
import type { Duplex } from 'node:stream';
import {
  FrameType,
  MAX_COMMAND_FRAME,
  MAX_ID_BYTES,
  RemoteCommandError,
  type CommandResult,
  type ExitStatus,
} from './command-protocol.ts';
import { FrameDecoder, encodeFrame } from './frame-codec.ts';

export interface CommandClientOptions {
  /** Fail a command whose stdout and stderr together pass this many bytes. Default 64 MiB. */
  maxOutputBytes?: number;
}

/**
 * Runs commands on a command server over one connection (a socket, or any
 * Duplex). Calls to run() are answered one at a time, in call order.
 */
export class CommandClient {
  readonly #conn: Duplex;
  readonly #frames: AsyncIterator<Buffer>;
  readonly #maxOutputBytes: number;
  /** The previous run(), settled: each run waits for it, so replies are never mixed up. */
  #turn: Promise<unknown> = Promise.resolve();

  constructor(conn: Duplex, options: CommandClientOptions = {}) {
    this.#conn = conn;
    this.#maxOutputBytes = options.maxOutputBytes ?? 64 * 1024 * 1024;
    const decoder = new FrameDecoder({ maxFrameSize: MAX_COMMAND_FRAME });
    conn.pipe(decoder);
    // pipe() forwards the end of the stream, but not errors or a reset:
    // pass those on, or a pending run() would wait forever.
    conn.on('error', (error) => decoder.destroy(error));
    conn.on('close', () => {
      if (!decoder.writableEnded) decoder.destroy(new Error('the connection closed before the reply ended'));
    });
    // A broken frame leaves the stream unreadable from here on: hang up.
    decoder.on('error', () => conn.destroy());
    this.#frames = decoder[Symbol.asyncIterator]();
  }

  /**
   * Runs the command `id` and resolves with its output and exit status.
   * An id that is empty or over MAX_ID_BYTES bytes of UTF-8 is refused with
   * a RangeError, and nothing is sent.
   */
  run(id: string): Promise<CommandResult> {
    const result = this.#turn.then(() => this.#run(id));
    this.#turn = result.catch(() => {}); // a failed run must not block the next
    return result;
  }

  async #run(id: string): Promise<CommandResult> {
    // A lone surrogate has no UTF-8 form: Buffer.from would quietly send
    // U+FFFD (ef bf bd) in its place, and so ask for another command.
    if (/\p{Surrogate}/u.test(id))
      throw new RangeError('a command id must be valid Unicode: it holds a lone surrogate');
    const idBytes = Buffer.from(id, 'utf8');
    if (idBytes.length < 1 || idBytes.length > MAX_ID_BYTES) {
      throw new RangeError(`a command id is 1 to ${MAX_ID_BYTES} bytes of UTF-8, got ${idBytes.length}`);
    }
    this.#conn.write(encodeFrame([Buffer.of(FrameType.RUN), idBytes], { maxFrameSize: MAX_COMMAND_FRAME }));

    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let received = 0;
    for (;;) {
      const next = await this.#frames.next();
      if (next.done) {
        throw new Error(
          `the server closed the connection before the EXIT frame of "${id}" (after ${received} bytes of output)`,
        );
      }
      const frame = next.value;
      if (frame.length === 0) continue; // a keepalive
      const data = frame.subarray(1);
      switch (frame[0]) {
        case FrameType.STDOUT:
        case FrameType.STDERR:
          received += data.length;
          if (received > this.#maxOutputBytes) {
            this.#conn.destroy(); // the rest of this reply is still coming: the connection is unusable
            throw new Error(`"${id}" sent more than ${this.#maxOutputBytes} bytes of output`);
          }
          (frame[0] === FrameType.STDOUT ? stdout : stderr).push(data);
          break;
        case FrameType.EXIT: {
          let exit: ExitStatus;
          try {
            exit = parseExit(data);
          } catch (error) {
            this.#conn.destroy(); // a server that sends nonsense is not trusted with the next command
            throw error;
          }
          return { stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), exit };
        }
        case FrameType.ERROR:
          throw new RemoteCommandError(data.toString('utf8'));
        default:
          this.#conn.destroy();
          throw new Error(`the server sent a frame of unknown type 0x${frame[0]!.toString(16).padStart(2, '0')}`);
      }
    }
  }
}

/** Parses and checks an EXIT frame's JSON: `{"code":0,"signal":null}`, maybe with a "reason". */
export function parseExit(data: Uint8Array): ExitStatus {
  let text: string;
  try {
    // Strict, like parseHeader: a bad byte is an error, not a U+FFFD.
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw new Error(`the EXIT frame is not valid UTF-8: ${Buffer.from(data).toString('hex').slice(0, 80)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`the EXIT frame is not valid JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  const bad = (why: string): Error => new Error(`the EXIT frame ${why}: ${JSON.stringify(value)?.slice(0, 80)}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('is not a JSON object');
  const { code, signal, reason } = value as Record<string, unknown>;
  if (code !== null && !Number.isSafeInteger(code)) throw bad('needs "code": a whole number or null');
  if (signal !== null && typeof signal !== 'string') throw bad('needs "signal": a string or null');
  if (reason !== undefined && reason !== 'timeout' && reason !== 'output-limit') throw bad('has an unknown "reason"');
  const status: ExitStatus = { code: code as number | null, signal: signal as string | null };
  if (reason !== undefined) status.reason = reason;
  return status;
}
