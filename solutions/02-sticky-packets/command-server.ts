// Lesson 02, task 5: the command server.
//
// Say you are writing the server side of the remote command runner. A
// client sends command names, one per line, as fast as it likes; the server
// runs each one from its allowlist, without a shell, and answers in the same
// order. Every output line is tagged ("out ", "err "), so no output can be
// mistaken for the end of a reply, and every reply ends with exactly one
// "exit" or "error" line.
import { type Server, type Socket, createServer } from 'node:net';
import { type Allowlist, type Argv, CommandRefusedError, lookupCommand } from './allowlist.ts';
import { LineDecoder, MAX_LINE_LENGTH, NEWLINE } from './line-decoder.ts';
import { CommandFailedError, type CommandOutput, runCommand } from './run-command.ts';

export interface CommandServerOptions {
  /** The commands clients may run, by name. */
  allowlist: Allowlist;
  /** Runs an argv from the allowlist (default: runCommand with its limits). Tests pass a stand-in. */
  run?: (argv: Argv) => Promise<CommandOutput>;
  /** Close a connection that sends and receives nothing for this long (default 30 s). */
  idleTimeoutMs?: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** The longest output line that fits in a protocol line after its 4-byte tag. */
export const MAX_OUTPUT_LINE = MAX_LINE_LENGTH - 4;

/** Creates (but does not start) the command server. */
export function createCommandServer({
  allowlist,
  run = (argv) => runCommand(argv),
  idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS,
}: CommandServerOptions): Server {
  // allowHalfOpen: a client may send its commands and then end its side;
  // it still expects every reply. Without it, Node ends our side as soon as
  // 'end' is emitted, before we can say "request ended without 0x0A".
  return createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => socket.destroy()); // one client's reset must not crash the server
    socket.setTimeout(idleTimeoutMs, () => socket.destroy()); // 'timeout' only tells; we close
    serve(socket, allowlist, run);
  });
}

/** Answers one connection's commands, in order, one at a time. */
function serve(socket: Socket, allowlist: Allowlist, run: (argv: Argv) => Promise<CommandOutput>): void {
  // One decoder for the whole connection: a command may be cut across chunks.
  const decoder = new LineDecoder({ maxLineLength: MAX_LINE_LENGTH });
  let closing = false;
  // Each step starts when the previous one is done, so replies leave in
  // the order the commands came. A step that fails closes the connection.
  let work = Promise.resolve();
  const next = (step: () => Promise<void>): void => {
    work = work.then(step).catch(() => void socket.destroy());
  };

  socket.on('data', (chunk: Buffer) => {
    if (closing) return; // after a line too long, bytes are ignored (see below)
    // Read nothing more until this chunk's commands are answered: the next
    // chunks wait in the kernel, so a client that pipelines thousands of
    // commands cannot make the server hold them all in memory.
    socket.pause();
    next(async () => {
      const lines: Buffer[] = [];
      try {
        decoder.push(chunk, (line) => lines.push(line));
      } catch {
        closing = true; // a line too long: we cannot know where the next one starts
      }
      // Answer the complete lines first: they came before the bad one.
      for (const line of lines) await send(socket, await answer(line, allowlist, run));
      if (closing) {
        await send(socket, errorLine(`request line longer than ${MAX_LINE_LENGTH} bytes`));
        // End our side, but keep reading (and ignoring) until the client
        // closes: closing with unread bytes makes the kernel send a reset,
        // which can destroy the error line before the client reads it.
        socket.end();
      }
      socket.resume();
    });
  });

  socket.on('end', () => {
    next(async () => {
      if (closing) return;
      try {
        decoder.end();
      } catch {
        await send(socket, errorLine('request ended without 0x0A'));
      }
      socket.end(); // every reply is sent: now end our side too
    });
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The complete reply to one request line. */
async function answer(
  line: Buffer,
  allowlist: Allowlist,
  run: (argv: Argv) => Promise<CommandOutput>,
): Promise<Buffer> {
  let command: string;
  try {
    command = utf8.decode(line);
  } catch {
    return errorLine('request is not valid UTF-8');
  }
  let argv: Argv;
  try {
    argv = lookupCommand(command, allowlist); // refused before anything runs
  } catch (error) {
    if (error instanceof CommandRefusedError) return errorLine(error.message);
    throw error;
  }
  try {
    return encodeOutput(await run(argv));
  } catch (error) {
    // Our own failures have messages meant for clients; anything else might
    // reveal paths or internals, so it stays vague.
    return errorLine(error instanceof CommandFailedError ? error.message : 'internal error');
  }
}

const OUT = Buffer.from('out ');
const ERR = Buffer.from('err ');
const LF = Buffer.of(NEWLINE);

/**
 * A command's output as reply lines: each line of stdout tagged "out ", then
 * each line of stderr tagged "err ", then "exit <code>". The tag is what
 * keeps output apart from the protocol: an output line "exit 0" goes out as
 * "out exit 0", which no reader can take for the end of the reply.
 */
function encodeOutput({ stdout, stderr, exitCode }: CommandOutput): Buffer {
  const parts: Buffer[] = [];
  for (const [tag, bytes] of [
    [OUT, stdout],
    [ERR, stderr],
  ] as const) {
    for (const line of splitLines(bytes)) {
      if (line.length > MAX_OUTPUT_LINE) return errorLine(`output line longer than ${MAX_OUTPUT_LINE} bytes`);
      parts.push(tag, line, LF);
    }
  }
  parts.push(Buffer.from(`exit ${exitCode}\n`));
  return Buffer.concat(parts);
}

/** Splits output at each 0x0A. A last line without a 0x0A is a line too: "a\nb" and "a\nb\n" both give ["a", "b"]. */
function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    const newline = bytes.indexOf(NEWLINE, start);
    const end = newline === -1 ? bytes.length : newline;
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  return lines;
}

/**
 * An `error` line. Every message is one line already (names arrive quoted by
 * JSON.stringify, which escapes 0x00 to 0x1F); a control byte that slipped
 * in anyway becomes a space, so it can never end the line early. DEL (0x7F)
 * is left alone: it is no delimiter, and JSON.stringify keeps it too.
 */
function errorLine(message: string): Buffer {
  return Buffer.from(`error ${message.replace(/[\u0000-\u001f]/g, ' ')}\n`, 'utf8');
}

/** Writes `bytes` and waits until they are handed to the kernel, so replies never pile up in memory. */
function send(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}
