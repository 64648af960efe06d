import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectBytes, withDeadline } from '../../runner/kit/index.ts';
import { CommandFailedError, type CommandOutput, DEFAULT_MAX_BUFFER, runCommand } from './run-command.ts';

// Every command here is this same Node.js binary running a fixed, harmless
// script (`node -e <script>`): nothing depends on what else is installed.
const node = (script: string, ...args: string[]): string[] => [process.execPath, '-e', script, ...args];

// Starting a Node.js child takes a moment on a busy machine; 5 s is far more
// than any of these commands needs.
const within = { ms: 5_000 };

/**
 * Waits for `run` to reject with a CommandFailedError whose message holds
 * `says`. Fails with a sentence that starts with `situation` and says what
 * happened instead; `stillRunning` is the sentence for a run that does not
 * finish within `ms`.
 */
async function expectFailure(
  run: Promise<CommandOutput>,
  says: string,
  situation: string,
  { ms = within.ms, stillRunning = '' } = {},
): Promise<void> {
  const must = `${situation}: runCommand must reject with a CommandFailedError saying "${says}"`;
  const outcome = await withDeadline(
    run.then(
      (output) => ({ output }),
      (error: unknown) => ({ error }),
    ),
    { ms, message: stillRunning || `${must}, but it was still running` },
  );
  if ('output' in outcome) {
    const { exitCode, stdout } = outcome.output;
    throw new Error(`${must}, but it resolved (exit code ${exitCode}, ${stdout?.length} bytes of stdout)`);
  }
  const { error } = outcome;
  if (error instanceof Error && error.message.startsWith('TODO:')) throw error; // the starter: its TODO says what to do
  if (!(error instanceof CommandFailedError)) {
    throw new Error(
      `${must}, but it rejected with ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }
  if (!error.message.includes(says)) throw new Error(`${must}, but its message was ${JSON.stringify(error.message)}`);
}

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
      runCommand(
        node('process.stdout.write(Buffer.from([0, 1, 255, 10])); process.stderr.write("oops"); process.exitCode = 3'),
      ),
      { ...within, message: 'runCommand never finished a command that exits with code 3' },
    );
    expectBytes(output.stdout, Buffer.from([0, 1, 255, 10]), 'stdout (bytes 00 01 ff 0a, which are not valid UTF-8)');
    expectBytes(output.stderr, 'oops', 'stderr');
    expect(
      output.exitCode,
      `a command that exits with code 3 still ran: resolve with exitCode 3, not ${output.exitCode}`,
    ).toBe(3);
  });

  it('gives the command no input, so a program that reads stdin finishes at once', async () => {
    const waitsForInput =
      "this command reads its input until the end, which never comes: end the child's stdin right after starting it (child.stdin.end()).";
    const output = await withDeadline(runCommand(node('process.stdin.pipe(process.stdout)'), { timeoutMs: 4_000 }), {
      ...within,
      message: `a command that copies its stdin never finished; ${waitsForInput}`,
    }).catch((error: unknown) => {
      if (!(error instanceof Error) || error.message.startsWith('TODO:') || error.name === 'DeadlineError') throw error;
      throw new Error(
        `runCommand rejected (${error.name}: ${error.message.trim()}) for a command that copies its stdin to its stdout; ${waitsForInput}`,
      );
    });
    expect(output.exitCode, `a command that copies an empty stdin exits with code 0, not ${output.exitCode}`).toBe(0);
    expect(
      output.stdout.length,
      `with no input, the command prints nothing, but it printed ${output.stdout.length} bytes`,
    ).toBe(0);
  });

  it('kills a command that runs longer than timeoutMs', async () => {
    const run = runCommand(node('setTimeout(() => {}, 4000)'), { timeoutMs: 200 });
    await expectFailure(run, 'timed out after 200 ms', 'a command that runs for 4 s, with timeoutMs 200', {
      ms: 2_000,
      stillRunning: 'a command that runs for 4 s was not stopped at timeoutMs = 200',
    });
  });

  it('kills a command that ignores SIGTERM, too', async () => {
    // The child ignores SIGTERM and would stop by itself after 4 s; the
    // 2 s deadline below fails the test long before that.
    const stubborn = node('process.on("SIGTERM", () => {}); setTimeout(() => {}, 4000)');
    const run = runCommand(stubborn, { timeoutMs: 500 });
    await expectFailure(run, 'timed out after 500 ms', 'a command that ignores SIGTERM, with timeoutMs 500', {
      ms: 2_000,
      stillRunning:
        'a command that ignores SIGTERM must be killed with SIGKILL (which no program can ignore), but with timeoutMs 500 runCommand did not finish',
    });
  });

  it(`refuses more than ${DEFAULT_MAX_BUFFER} bytes of output by default, and accepts exactly that many`, async () => {
    const exactly = await withDeadline(runCommand(node(`process.stdout.write("x".repeat(${DEFAULT_MAX_BUFFER}))`)), {
      ...within,
      message: `runCommand never finished a command that prints ${DEFAULT_MAX_BUFFER} bytes`,
    });
    expect(
      exactly.stdout.length,
      `exactly ${DEFAULT_MAX_BUFFER} bytes (1 MiB) of output is allowed, but stdout held ${exactly.stdout.length}`,
    ).toBe(DEFAULT_MAX_BUFFER);
    const over = runCommand(node(`process.stdout.write("x".repeat(${DEFAULT_MAX_BUFFER + 1}))`));
    await expectFailure(
      over,
      `output larger than ${DEFAULT_MAX_BUFFER} bytes`,
      `a command that prints ${DEFAULT_MAX_BUFFER + 1} bytes (1 MiB and 1 byte)`,
    );
  });

  it('applies a smaller maxBuffer to stderr as well', async () => {
    const run = runCommand(node('process.stderr.write("e".repeat(5000))'), { maxBuffer: 1000 });
    await expectFailure(
      run,
      'output larger than 1000 bytes',
      'a command that prints 5000 bytes on stderr, with maxBuffer 1000',
    );
  });

  it('reports a program that cannot start', async () => {
    const missing = join(tmpdir(), 'workbook-no-such-program', 'nothing-here');
    const run = runCommand([missing]);
    await expectFailure(run, 'could not start (ENOENT)', `a program that does not exist (${missing})`);
  });
});
