// Lesson 02, task 2: a command client that reads whole replies.
//
// Say you are writing the client of a remote command runner: send the name
// of a command, get back what it printed. The tutorials' client read once
// (recv(1024)) and took that as the whole reply. On a real network one read
// can hold half a reply, or one reply and the start of the next, and the
// client shows the wrong output for the wrong command. This client frames
// replies by lines and matches them to commands in order.
import type { Duplex } from 'node:stream';
import { LineDecoder, LineTooLongError, MAX_LINE_LENGTH } from './line-decoder.ts';

/** What a command printed, line by line, and its exit code. */
export interface CommandResult {
  stdout: string[];
  stderr: string[];
  exitCode: number;
}

/** The server refused the command or could not run it (an `error` line). The connection is still usable. */
export class CommandError extends Error {
  override name = 'CommandError';
}

/** The connection broke or the server broke the protocol. The connection is closed and unusable. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export interface RemoteClientOptions {
  /** Give up, and close the connection, when a reply is not complete this many ms after its command was sent (default 10000). */
  timeoutMs?: number;
  /** The longest line accepted from the server, in bytes, not counting its 0x0A (default 4096). */
  maxLineLength?: number;
}

export const DEFAULT_REPLY_TIMEOUT_MS = 10_000;

/**
 * Runs commands on a command server over one connection. Commands may be
 * sent before earlier ones are answered: the server answers in order, so
 * the first reply belongs to the oldest waiting command.
 */
export class RemoteClient {
  readonly #conn: Duplex;
  readonly #timeoutMs: number;
  readonly #maxLineLength: number;

  constructor(
    conn: Duplex,
    { timeoutMs = DEFAULT_REPLY_TIMEOUT_MS, maxLineLength = MAX_LINE_LENGTH }: RemoteClientOptions = {},
  ) {
    this.#conn = conn;
    this.#timeoutMs = timeoutMs;
    this.#maxLineLength = maxLineLength;
    // TODO: this client is the tutorials' client, and it is wrong: it takes
    // one 'data' event to be one whole reply (see run() below). Rewrite it:
    // add one 'data' listener here (conn.on, not once) for the life of the
    // connection, and feed every chunk to one LineDecoder (task 1). Keep a
    // queue of the commands waiting for a reply, oldest first: each complete
    // line belongs to the oldest one, and its `exit` or `error` line ends its
    // reply. Also listen for 'end', 'close' and 'error', and reject every
    // waiting command with a ProtocolError when the connection breaks.
  }

  /**
   * Sends `command` and resolves with its reply. Rejects with a CommandError
   * when the server answers `error <message>`, with a ProtocolError when the
   * connection breaks first, and with a RangeError, sending nothing, when
   * the command is not one line (it holds a 0x0A, or is too long).
   */
  run(command: string): Promise<CommandResult> {
    // TODO: refuse a command that holds a 0x0A or is longer than
    // maxLineLength (reject with a RangeError, write nothing). Give each
    // command a timer: with no complete reply after timeoutMs, reject it
    // with a ProtocolError and close the connection. Use this.#timeoutMs
    // and this.#maxLineLength.
    // #region naive-run
    this.#conn.write(`${command}\n`);
    return new Promise((resolve, reject) => {
      // The bug: the next 'data' event is taken to be the whole reply.
      this.#conn.once('data', (chunk: Buffer) => {
        const result: CommandResult = { stdout: [], stderr: [], exitCode: -1 };
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line.startsWith('out ')) result.stdout.push(line.slice(4));
          else if (line.startsWith('err ')) result.stderr.push(line.slice(4));
          else if (line.startsWith('exit ')) result.exitCode = Number(line.slice(5));
          else if (line.startsWith('error ')) return reject(new CommandError(line.slice(6)));
        }
        resolve(result);
      });
    });
    // #endregion naive-run
  }
}
