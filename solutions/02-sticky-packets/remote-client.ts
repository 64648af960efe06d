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

/** A command that was sent and whose reply is not complete yet. */
interface Waiting {
  command: string;
  stdout: string[];
  stderr: string[];
  timer: NodeJS.Timeout;
  resolve: (result: CommandResult) => void;
  reject: (error: Error) => void;
}

/**
 * Runs commands on a command server over one connection. Commands may be
 * sent before earlier ones are answered: the server answers in order, so
 * the first reply belongs to the oldest waiting command.
 */
export class RemoteClient {
  readonly #conn: Duplex;
  readonly #timeoutMs: number;
  // One decoder for the whole connection: a chunk may end in the middle of
  // a line, and the rest of that line arrives with the next chunk.
  readonly #decoder: LineDecoder;
  /** Commands sent and not yet answered, oldest first. */
  readonly #waiting: Waiting[] = [];
  /** Why the connection can no longer be used, once it can't. */
  #broken: Error | undefined;

  constructor(
    conn: Duplex,
    { timeoutMs = DEFAULT_REPLY_TIMEOUT_MS, maxLineLength = MAX_LINE_LENGTH }: RemoteClientOptions = {},
  ) {
    this.#conn = conn;
    this.#timeoutMs = timeoutMs;
    this.#decoder = new LineDecoder({ maxLineLength });
    conn.on('data', (chunk: Buffer) => {
      try {
        this.#decoder.push(chunk, (line) => this.#onLine(line));
      } catch (error) {
        this.#fail(
          error instanceof LineTooLongError
            ? new ProtocolError(`the server sent a line longer than ${maxLineLength} bytes`)
            : (error as Error),
        );
      }
    });
    conn.on('end', () => this.#fail(new ProtocolError('the server closed the connection')));
    conn.on('close', () => this.#fail(new ProtocolError('the connection is closed')));
    // A reset (ECONNRESET) or any other socket error is the connection
    // breaking too: the caller gets one kind of error for it, whatever the cause.
    conn.on('error', (error: Error) =>
      this.#fail(new ProtocolError(`the connection failed: ${error.message}`, { cause: error })),
    );
  }

  /**
   * Sends `command` and resolves with its reply. Rejects with a CommandError
   * when the server answers `error <message>`, with a ProtocolError when the
   * connection breaks first, and with a RangeError, sending nothing, when
   * the command is not one line (it holds a 0x0A, or is too long).
   */
  run(command: string): Promise<CommandResult> {
    if (this.#broken) return Promise.reject(this.#broken);
    // A 0x0A inside the command would end its line early, and the server
    // would read the rest as a second command.
    if (command.includes('\n'))
      return Promise.reject(new RangeError(`a command cannot contain a 0x0A: ${JSON.stringify(command)}`));
    const line = Buffer.from(`${command}\n`, 'utf8');
    if (line.length - 1 > this.#decoder.maxLineLength) {
      return Promise.reject(
        new RangeError(`a command is at most ${this.#decoder.maxLineLength} bytes; this one is ${line.length - 1}`),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // The late reply may still come; it would be taken for the next
        // command's reply. Without request IDs the only safe move is to close.
        this.#fail(new ProtocolError(`no complete reply to ${JSON.stringify(command)} within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#waiting.push({ command, stdout: [], stderr: [], timer, resolve, reject });
      this.#conn.write(line);
    });
  }

  /** Handles one complete line from the server. Throws a ProtocolError on a line that fits no reply. */
  #onLine(bytes: Buffer): void {
    // Decode text only now that the line is complete: a chunk boundary can
    // fall inside a multi-byte UTF-8 character.
    const line = bytes.toString('utf8');
    const waiting = this.#waiting[0];
    if (!waiting)
      throw new ProtocolError(
        `the server sent a line when no command was waiting: ${JSON.stringify(line.slice(0, 64))}`,
      );
    if (line.startsWith('out ')) waiting.stdout.push(line.slice(4));
    else if (line.startsWith('err ')) waiting.stderr.push(line.slice(4));
    else if (line.startsWith('exit ')) {
      const code = line.slice(5);
      if (!/^(0|[1-9][0-9]{0,2})$/.test(code) || Number(code) > 255)
        throw new ProtocolError(`the server sent a bad exit code: ${JSON.stringify(code)}`);
      this.#finish().resolve({ stdout: waiting.stdout, stderr: waiting.stderr, exitCode: Number(code) });
    } else if (line.startsWith('error ')) {
      this.#finish().reject(new CommandError(line.slice(6)));
    } else {
      throw new ProtocolError(
        `the server sent a line this client does not understand: ${JSON.stringify(line.slice(0, 64))}`,
      );
    }
  }

  /** Takes the oldest waiting command off the queue: its reply is complete. */
  #finish(): Waiting {
    const done = this.#waiting.shift()!;
    clearTimeout(done.timer);
    return done;
  }

  /** Rejects every waiting command with `error` and closes the connection for good. */
  #fail(error: Error): void {
    if (this.#broken) return;
    this.#broken = error;
    for (const waiting of this.#waiting.splice(0)) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
    this.#conn.destroy();
  }
}
