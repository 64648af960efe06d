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
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new RangeError('argv is empty: it must name a program'));
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        shell: false, // the default, said out loud: each argument reaches the program as is
        encoding: 'buffer', // bytes, not text: the output is passed on exactly
        timeout: timeoutMs,
        killSignal: 'SIGKILL', // a program can catch and ignore SIGTERM; not SIGKILL
        maxBuffer,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ stdout, stderr, exitCode: 0 });
        // A program that ran and exited with 1..255 still gave an answer.
        if (typeof error.code === 'number') return resolve({ stdout, stderr, exitCode: error.code });
        // Node has already killed the child in each of the cases below.
        if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
          return reject(new CommandFailedError(`output larger than ${maxBuffer} bytes`));
        if (error.killed) return reject(new CommandFailedError(`timed out after ${timeoutMs} ms`));
        if (error.signal) return reject(new CommandFailedError(`killed by ${error.signal}`));
        reject(new CommandFailedError(`could not start (${error.code ?? 'unknown error'})`));
      },
    );
    // No input: a program that reads stdin sees its end at once instead of
    // waiting until the timeout.
    child.stdin?.end();
  });
}
