// The lessons' contracts: every untouched starter fails its tests, each
// with a message a beginner can act on, without crashing or hanging the
// runner. (That every solution passes is the `solutions` vitest project.)
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkContracts } from '../runner/dev/contracts.ts';
import { loadWorkbook } from '../runner/workbook.ts';
import { repoRoot, runCli, tempCopy } from './runner/helpers.ts';

const workbook = loadWorkbook(repoRoot);

describe('the lessons', () => {
  it('keep the authoring contracts (npx workbook dev check)', () => {
    expect(checkContracts(workbook)).toEqual([]);
  });

  it('ship starters that fail every test with a message for a beginner', { timeout: 300_000 }, async () => {
    // Copy the starters (not the tests: the runner never reads tests from a target).
    const starters = tempCopy('starters-');
    for (const lesson of workbook.lessons) {
      for (const file of readdirSync(lesson.dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
        cpSync(join(lesson.dir, file), join(starters, lesson.slug, file));
      }
    }
    const { stdout, stderr } = await runCli(['check', '--all', '--json', '--target', starters], {
      root: repoRoot,
      timeout: 280_000,
    });
    const results = JSON.parse(stdout) as {
      status: string;
      message?: string;
      tests: Array<{ name: string; status: string; message?: string }>;
    };
    expect(results.message ?? '', `the runner reported an error:\n${stderr}`).toBe('');
    expect(results.status).toBe('fail');

    const ran = new Set(results.tests.map((t) => t.name.split(' > ')[0]));
    expect([...ran].sort()).toEqual(workbook.exercises.map((e) => e.id).sort());
    const passing = results.tests.filter((t) => t.status !== 'fail').map((t) => t.name);
    expect(
      passing,
      'these tests pass against an untouched starter: they cannot fail, or the starter does the work',
    ).toEqual([]);
    for (const test of results.tests) {
      const message = test.message ?? '';
      expect(message.trim(), `${test.name} fails without a message`).not.toBe('');
      expect(message, `${test.name} fails with a crash of the runner`).not.toMatch(
        /Cannot convert|is not a function.*runner\//,
      );
      expect(message, `${test.name} shows vitest internals`).not.toMatch(/node_modules\/(vitest|@vitest)/);
    }
  });
});
