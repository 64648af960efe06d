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
  // TODO: return createServer({ allowHalfOpen: true }, (socket) => ...).
  // For each connection: handle 'error' (destroy the socket), close the
  // socket after idleTimeoutMs of silence (setTimeout, then destroy), and
  // feed every 'data' chunk to one LineDecoder (task 1). For each line:
  //  - not valid UTF-8                -> "error request is not valid UTF-8"
  //  - lookupCommand refuses it (task 3) -> "error " + the error's message
  //  - run(argv) rejects with a CommandFailedError -> "error " + its message;
  //    any other error                  -> "error internal error"
  //  - otherwise "out " + each stdout line, "err " + each stderr line
  //    (split at 0x0A; a line over MAX_OUTPUT_LINE bytes makes the whole
  //    reply "error output line longer than 4092 bytes"), then "exit <code>".
  // Answer one command at a time, in order: pause the socket while a
  // chunk's commands run, and resume it after. A line too long: answer the
  // lines before it, send "error request line longer than 4096 bytes", end
  // the socket and ignore what follows. On 'end': if part of a line is left,
  // send "error request ended without 0x0A"; then end the socket.
  // Two helpers are below: errorLine(message) builds an "error ..." line,
  // and send(socket, bytes) writes bytes and resolves once the kernel has them.
  throw new Error('TODO: write createCommandServer (task 5 in lessons/02-sticky-packets/README.md)');
}

/** An `error` line. Control characters become spaces: a 0x0A in a message would end the line early. */
function errorLine(message: string): Buffer {
  return Buffer.from(`error ${message.replace(/[\u0000-\u001f\u007f]/g, ' ')}\n`, 'utf8');
}

/** Writes `bytes` and waits until they are handed to the kernel, so replies never pile up in memory. */
function send(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}
