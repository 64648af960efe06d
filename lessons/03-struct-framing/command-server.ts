// Lesson 03, task 4: a framed command server.
//
// Say you run lesson 02's remote command runner, and a command prints a
// NUL byte, your delimiter, or 5 MiB. With frames, every byte arrives
// intact and the reader always knows where a reply ends: STDOUT and STDERR
// frames carry the output, and one EXIT frame carries the exit status.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { FrameType, MAX_COMMAND_FRAME, MAX_OUTPUT_CHUNK, type ExitStatus } from './command-protocol.ts';
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
  // TODO: return createServer({ allowHalfOpen: true }, handler). For each
  // connection: decode the socket's bytes with a FrameDecoder({ maxFrameSize: MAX_COMMAND_FRAME })
  // and read requests with `for await`, one at a time, from an async
  // generator that yields every frame decoded before a broken one (README,
  // task 4, says why `for await` over the decoder itself loses them). For a RUN frame, look
  // the id up with Object.hasOwn (unknown: an ERROR frame), spawn the argv
  // with no shell, send each output chunk as a STDOUT or STDERR frame, and
  // on the child's 'close' send EXIT with JSON {"code":…,"signal":…}.
  // Then the limits: timeoutMs, maxOutputBytes, idleTimeoutMs (README, task 4).
  throw new Error('TODO: write createCommandServer (task 4 in lessons/03-struct-framing/README.md)');
}
