// `workbook watch` end to end: it checks the current exercise, re-checks on
// save, advances on a pass, survives crashing code, and quits on 'q'; on a
// terminal (a pseudo-terminal from python3's pty module), keys act on one
// press and q quits even while a check is stuck.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../runner/kit/index.ts';
import { python } from '../interop/python.ts';
import { fixtureCopy, repoRoot, startCli } from './helpers.ts';

const root = fixtureCopy();

/** Collects a child's stdout and resolves when it contains `text` (after `from`). */
function outputOf(child: Pick<ReturnType<typeof startCli>, 'stdout' | 'stderr'>) {
  let text = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return {
    get text() {
      return text;
    },
    /** Waits until the output after character `from` contains `wanted`; returns the end offset. */
    async waitFor(wanted: string, from = 0, ms = 30_000): Promise<number> {
      const found = (async () => {
        while (!text.slice(from).includes(wanted)) await new Promise<void>((resolve) => waiters.push(resolve));
        return text.indexOf(wanted, from) + wanted.length;
      })();
      return withDeadline(found, {
        ms,
        message: () => `watch never printed "${wanted}"; it printed:\n${text.slice(from)}`,
      });
    },
  };
}

describe('workbook watch', () => {
  it('re-checks on save, moves on after a pass, and quits on q', async () => {
    mkdirSync(join(root, '.workbook'), { recursive: true });
    writeFileSync(
      join(root, '.workbook', 'state.json'),
      JSON.stringify({ version: 1, done: ['01-fixture/adder'], hints: {} }),
    );
    const child = startCli(['watch'], { root });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const out = outputOf(child);
      let at = await out.waitFor('✗ 01 wrong-bytes');
      at = await out.waitFor('Watching for saves', at);

      // A save that still fails: re-checked, still failing.
      writeFileSync(
        join(root, 'lessons', '01-fixture', 'wrong-bytes.ts'),
        "export function greeting(): Buffer {\n  return Buffer.from('help!');\n}\n",
      );
      at = await out.waitFor('first difference at byte 3', at);

      // The fix: it passes and the next exercise becomes current.
      copyFileSync(
        join(root, 'solutions', '01-fixture', 'wrong-bytes.ts'),
        join(root, 'lessons', '01-fixture', 'wrong-bytes.ts'),
      );
      at = await out.waitFor('wrong-bytes passes.', at);
      at = await out.waitFor('Current exercise: broken-syntax', at);
      at = await out.waitFor('Syntax error in lessons/01-fixture/broken-syntax.ts:3:14', at);

      // Enter re-checks by hand; q quits with exit code 0.
      child.stdin.write('\n');
      await out.waitFor('Syntax error in lessons/01-fixture/broken-syntax.ts:3:14', at);
      child.stdin.write('q\n');
      expect(await withDeadline(exited, { ms: 10_000, message: 'watch did not quit on q' })).toBe(0);
    } finally {
      child.kill();
    }
  });

  it('keeps running when the learner code crashes, and --manual re-checks on Enter', async () => {
    writeFileSync(
      join(root, '.workbook', 'state.json'),
      JSON.stringify({
        version: 1,
        done: ['01-fixture/adder', '01-fixture/wrong-bytes', '01-fixture/broken-syntax', '01-fixture/silent-server'],
        hints: {},
      }),
    );
    const child = startCli(['watch', '--manual'], { root });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const out = outputOf(child);
      let at = await out.waitFor('boom from a callback');
      at = await out.waitFor('Press Enter to re-check', at);
      copyFileSync(
        join(root, 'solutions', '01-fixture', 'crasher.ts'),
        join(root, 'lessons', '01-fixture', 'crasher.ts'),
      );
      child.stdin.write('\n');
      at = await out.waitFor('crasher passes.', at);
      child.stdin.end(); // closing input quits manual mode
      expect(
        await withDeadline(exited, { ms: 10_000, message: 'watch --manual did not quit when its input closed' }),
      ).toBe(0);
    } finally {
      child.kill();
    }
  });
});

/** Starts `workbook watch` on a pseudo-terminal; what is written to its stdin is typed at the terminal. */
function startOnTerminal(root: string) {
  const relay = join(dirname(fileURLToPath(import.meta.url)), 'pty-relay.py');
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', WORKBOOK_STALL_MS: '5000', WORKBOOK_ROOT: root };
  for (const key of ['VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'TEST', 'NODE_ENV']) delete env[key];
  return spawn(python!, [relay, process.execPath, join(repoRoot, 'bin', 'workbook.js'), 'watch'], { cwd: root, env });
}

describe.skipIf(!python)('workbook watch on a terminal (skipped without python3)', () => {
  it('acts on one key press, quits on q during a stuck check, and shows the cursor again', async () => {
    writeFileSync(
      join(root, '.workbook', 'state.json'),
      JSON.stringify({
        version: 1,
        done: [
          '01-fixture/adder',
          '01-fixture/wrong-bytes',
          '01-fixture/broken-syntax',
          '01-fixture/silent-server',
          '01-fixture/crasher',
        ],
        hints: {},
      }),
    );
    const child = startOnTerminal(root);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const out = outputOf(child);
      // The first check of endless-loop is now stuck in the learner's loop.
      let at = await out.waitFor('Current exercise: endless-loop');
      child.stdin.write('l'); // no Enter: raw mode
      at = await out.waitFor('Lesson 01: Fixture lesson', at);
      child.stdin.write('q');
      expect(await withDeadline(exited, { ms: 15_000, message: 'watch did not quit on q' })).toBe(0);
      // It quit before the stall limit gave a verdict on the stuck check.
      expect(out.text).not.toContain('stopped making progress');
      expect(out.text.endsWith('\x1b[?25h')).toBe(true);
    } finally {
      child.kill();
    }
  });
});
