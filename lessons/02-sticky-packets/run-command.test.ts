import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectBytes, withDeadline } from '../../runner/kit/index.ts';
import { CommandFailedError, DEFAULT_MAX_BUFFER, runCommand } from './run-command.ts';

// Every command here is this same Node.js binary running a fixed, harmless
// script (`node -e <script>`): nothing depends on what else is installed.
const node = (script: string, ...args: string[]): string[] => [process.execPath, '-e', script, ...args];

// Starting a Node.js child takes a moment on a busy machine; 5 s is far more
// than any of these commands needs.
const within = { ms: 5_000 };

describe('Task 4: run a command without a shell, with limits', () => {
  it('passes each argument to the program as is: shell characters are plain bytes', async () => {
    const tricky = "it's $(echo injected); `echo ticks` && echo and | echo pipe";
    const output = await withDeadline(runCommand(node('process.stdout.write(process.argv[1])', tricky)), {
      ...within,
      message: 'runCommand never finished a command that prints its argument',
    });
    expectBytes(output.stdout, tricky, 'what the program received as its argument (a shell would have changed it)');
  });

  it('returns stdout and stderr as bytes, and a failing exit code as a result', async () => {
    const output = await withDeadline(
      runCommand(node('process.stdout.write(Buffer.from([0, 1, 255, 10])); process.stderr.write("oops"); process.exitCode = 3')),
      { ...within, message: 'runCommand never finished a command that exits with code 3' },
    );
    expectBytes(output.stdout, Buffer.from([0, 1, 255, 10]), 'stdout (bytes 00 01 ff 0a, which are not valid UTF-8)');
    expectBytes(output.stderr, 'oops', 'stderr');
    expect(output.exitCode, 'a command that exits with code 3 still ran: resolve with exitCode 3').toBe(3);
  });

  it('gives the command no input, so a program that reads stdin finishes at once', async () => {
    const output = await withDeadline(runCommand(node('process.stdin.pipe(process.stdout)'), { timeoutMs: 4_000 }), {
      ...within,
      message: 'a command that reads stdin never finished: end its stdin right after starting it',
    });
    expect(output.exitCode).toBe(0);
    expect(output.stdout.length).toBe(0);
  });

  it('kills a command that runs longer than timeoutMs', async () => {
    const run = runCommand(node('setTimeout(() => {}, 4000)'), { timeoutMs: 200 });
    await expect(withDeadline(run, { message: 'a command that runs for 4 s was not stopped at timeoutMs = 200' })).rejects.toThrow(CommandFailedError);
    await expect(run).rejects.toThrow('timed out after 200 ms');
  });

  it('kills a command that ignores SIGTERM, too', async () => {
    // The child ignores SIGTERM and would stop by itself after 4 s; the
    // 2 s deadline below fails the test long before that.
    const stubborn = node('process.on("SIGTERM", () => {}); setTimeout(() => {}, 4000)');
    const run = runCommand(stubborn, { timeoutMs: 500 });
    await expect(
      withDeadline(run, { ms: 2_000, message: 'a command that ignores SIGTERM was still running 1.5 s after its timeout: kill it with SIGKILL' }),
    ).rejects.toThrow('timed out after 500 ms');
  });

  it(`refuses more than ${DEFAULT_MAX_BUFFER} bytes of output by default, and accepts exactly that many`, async () => {
    const exactly = await withDeadline(runCommand(node(`process.stdout.write("x".repeat(${DEFAULT_MAX_BUFFER}))`)), within);
    expect(exactly.stdout.length, 'exactly 1 MiB of output is allowed').toBe(DEFAULT_MAX_BUFFER);
    const over = runCommand(node(`process.stdout.write("x".repeat(${DEFAULT_MAX_BUFFER + 1}))`));
    await expect(withDeadline(over, within)).rejects.toThrow(CommandFailedError);
    await expect(over).rejects.toThrow(`output larger than ${DEFAULT_MAX_BUFFER} bytes`);
  });

  it('applies a smaller maxBuffer to stderr as well', async () => {
    const run = runCommand(node('process.stderr.write("e".repeat(5000))'), { maxBuffer: 1000 });
    await expect(withDeadline(run, within)).rejects.toThrow('output larger than 1000 bytes');
  });

  it('reports a program that cannot start', async () => {
    const missing = join(tmpdir(), 'workbook-no-such-program', 'nothing-here');
    const run = runCommand([missing]);
    await expect(withDeadline(run, within)).rejects.toThrow(CommandFailedError);
    await expect(run).rejects.toThrow('could not start (ENOENT)');
  });
});
