// Lesson 02, task 4: run a command without a shell, with limits.
//
// Say your server runs a program for a client and sends back what it
// printed. The tutorials did it with Python's subprocess.Popen(line,
// shell=True): the client's bytes went straight to /bin/sh, so a client
// could run anything (CWE-78, OS command injection). Here the program and
// its arguments are a fixed list (argv) that never passes through a shell,
// and every run has a time limit and an output limit.
import { execFile } from 'node:child_process';

/** How long a command may run before it is killed. */
export const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * How many bytes of output a command may print, on stdout and on stderr
 * each. 1 MiB is also Node's own default `maxBuffer`; we spell it out so
 * that the limit is a decision, not an accident.
 */
export const DEFAULT_MAX_BUFFER = 1024 * 1024;

export interface RunOptions {
  /** Kill the command after this many milliseconds (default 5000). */
  timeoutMs?: number;
  /** Kill the command once stdout or stderr passes this many bytes (default 1 MiB). */
  maxBuffer?: number;
}

/** What a command printed, byte for byte, and how it exited. */
export interface CommandOutput {
  stdout: Buffer;
  stderr: Buffer;
  /** 0 for success; a failing command's own code (1 to 255) otherwise. */
  exitCode: number;
}

/** The command could not run to the end: it did not start, ran too long, or printed too much. */
export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
}

/**
 * Runs `argv[0]` with the arguments `argv[1..]`, without a shell, and
 * resolves with its output once it exits, whatever its exit code. Rejects
 * with a CommandFailedError whose message is one of:
 * - `timed out after <timeoutMs> ms`
 * - `output larger than <maxBuffer> bytes`
 * - `killed by <signal>`
 * - `could not start (<error code>)`
 */
export function runCommand(
  argv: readonly string[],
  { timeoutMs = DEFAULT_TIMEOUT_MS, maxBuffer = DEFAULT_MAX_BUFFER }: RunOptions = {},
): Promise<CommandOutput> {
  // TODO: split argv into the program and its arguments, and call
  // execFile(program, args, options, callback) with shell: false,
  // encoding: 'buffer', timeout: timeoutMs, killSignal: 'SIGKILL' and
  // maxBuffer. In the callback, resolve with { stdout, stderr, exitCode }
  // when the program exited (error.code is then its exit code), and reject
  // with a CommandFailedError carrying one of the messages above otherwise.
  // End the child's stdin right after starting it.
  throw new Error('TODO: write runCommand (task 4 in lessons/02-sticky-packets/README.md)');
}
