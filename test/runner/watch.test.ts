// `workbook watch` end to end: it checks the current exercise, re-checks on
// save, advances on a pass, survives crashing code, and quits on 'q'.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../runner/kit/index.ts';
import { fixtureCopy, startCli } from './helpers.ts';

const root = fixtureCopy();

/** Collects a child's stdout and resolves when it contains `text` (after `from`). */
function outputOf(child: ReturnType<typeof startCli>) {
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
