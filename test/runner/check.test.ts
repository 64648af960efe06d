// `workbook check` end to end on the fixture workbook: passing, failing,
// syntax error, hanging, crashing and looping exercises.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureCopy, runCli } from './helpers.ts';

const root = fixtureCopy();

describe('workbook check', () => {
  it('passes an exercise whose tests pass, exits 0 and records it as done', async () => {
    const { code, stdout } = await runCli(['check', 'adder'], { root });
    expect(stdout).toContain('✓ 01 adder: Adds two numbers (2 of 2 tests pass)');
    expect(code).toBe(0);
    const state = JSON.parse(readFileSync(join(root, '.workbook', 'state.json'), 'utf8'));
    expect(state.done).toContain('01-fixture/adder');
  });

  it('shows a failing byte comparison as a hex diff, with the task and the next command', async () => {
    const { code, stdout } = await runCli(['check', 'wrong-bytes'], { root });
    expect(code).toBe(1);
    expect(stdout).toContain('✗ Task 2 returns "hello"');
    expect(stdout).toContain('first difference at byte 4 (0x4): expected 0x6f, got 0x4f');
    expect(stdout).toContain('00000000  68 65 6c 6c>4f');
    expect(stdout).toContain('✓ Task 2 returns five bytes');
    expect(stdout).toContain('npx workbook hint wrong-bytes');
  });

  it('reports a syntax error with file, line and column before running any test', async () => {
    const { code, stdout } = await runCli(['check', 'broken-syntax'], { root });
    expect(code).toBe(1);
    expect(stdout).toContain('Syntax error in lessons/01-fixture/broken-syntax.ts:3:14: Unexpected ";"');
    expect(stdout).toContain('   3 |   return n * ;');
    expect(stdout).not.toContain('doubles 21');
  });

  it('explains a server that accepts but never replies, instead of a bare timeout', async () => {
    const { code, stdout } = await runCli(['check', 'silent-server'], { root });
    expect(code).toBe(1);
    expect(stdout).toContain('the server accepted the connection but never replied within 2 s');
    expect(stdout).not.toContain('Test timed out');
  });

  it('reports an error thrown where nothing catches it, and keeps going', async () => {
    const { code, stdout } = await runCli(['check', 'crasher'], { root });
    expect(code).toBe(1);
    expect(stdout).toContain('An error was thrown that nothing handled');
    expect(stdout).toContain('boom from a callback');
  });

  it('stops an endless loop, says so, and still reports the other exercises', async () => {
    const { code, stdout } = await runCli(['check', '01', '--no-types'], { root });
    expect(code).toBe(1);
    expect(stdout).toMatch(/The tests of endless-loop\.ts stopped making progress for 5 s/);
    expect(stdout).toContain('✓ 01 adder');
    expect(stdout).toContain('the server accepted the connection but never replied');
    expect(stdout).toContain('2 of 7 exercises pass.');
  });

  it('shows type errors as warnings that do not stop the tests', async () => {
    const { code, stdout } = await runCli(['check', 'type-slip'], { root });
    expect(code).toBe(0);
    expect(stdout).toContain('✓ 01 type-slip');
    expect(stdout).toContain(
      "Type error (a warning: tests still run) in lessons/01-fixture/type-slip.ts:3:9: Type 'string' is not assignable to type 'number'.",
    );
  });

  it("--json prints exercism's results.json (version 3), and --out writes it", async () => {
    const out = join(root, 'results.json');
    const { code, stdout } = await runCli(['check', 'adder', 'wrong-bytes', '--json', '--out', out], { root });
    expect(code).toBe(1);
    const json = JSON.parse(stdout);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(json);
    expect(json.version).toBe(3);
    expect(json.status).toBe('fail');
    expect(json.tests).toContainEqual({
      name: '01-fixture/adder > adds 2 and 3',
      status: 'pass',
      output: 'adding 2 and 3\n',
      test_code:
        "  it('adds 2 and 3', () => {\n    console.log('adding 2 and 3');\n    expect(add(2, 3)).toBe(TWO_AND_THREE);\n  });",
      task_id: 1,
    });
    expect(
      json.tests.find((t: { name: string }) => t.name === '01-fixture/adder > adds negative numbers'),
    ).toMatchObject({ test_code: "it('adds negative numbers', () => expect(add(-2, -3)).toBe(-5));" });
    const failing = json.tests.find((t: { name: string }) => t.name === '01-fixture/wrong-bytes > returns "hello"');
    expect(failing).toMatchObject({ status: 'fail', task_id: 2 });
    expect(failing.message).toContain('first difference at byte 4');
  });

  it('--json gives status "error" and a message when a file does not parse', async () => {
    const { code, stdout } = await runCli(['check', 'broken-syntax', '--json'], { root });
    expect(code).toBe(1);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ version: 3, status: 'error' });
    expect(json.message).toContain('lessons/01-fixture/broken-syntax.ts:3:14: Unexpected ";"');
    // The exercise that could not run is listed, so no score can be read from the listed tests alone.
    expect(json.tests).toEqual([
      { name: '01-fixture/broken-syntax > broken-syntax.test.ts', status: 'error', message: json.message },
    ]);
  });

  it('--json gives status "fail", not "error", when some tests ran and another exercise could not', async () => {
    const { stdout } = await runCli(['check', 'adder', 'broken-syntax', '--json'], { root });
    const json = JSON.parse(stdout);
    expect(json.status).toBe('fail');
    expect(json.message).toBeUndefined();
    expect(json.tests.map((t: { name: string; status: string }) => `${t.name}: ${t.status}`)).toEqual([
      '01-fixture/adder > adds 2 and 3: pass',
      '01-fixture/adder > adds negative numbers: pass',
      '01-fixture/broken-syntax > broken-syntax.test.ts: error',
    ]);
  });

  it('--grade writes results.json and exits 0 when the runner worked, even though tests fail', async () => {
    const out = join(root, 'graded.json');
    const { code } = await runCli(['check', 'wrong-bytes', '--grade', '--out', out], { root });
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).status).toBe('fail');
    const usage = await runCli(['check', 'no-such-exercise', '--grade'], { root });
    expect(usage.code).toBe(2);
  });

  it('--target solutions runs the same tests against the reference solutions, without recording progress', async () => {
    const before = readFileSync(join(root, '.workbook', 'state.json'), 'utf8');
    const { code, stdout } = await runCli(['check', '01', '--target', 'solutions', '--no-types'], { root });
    expect(stdout).toContain('7 of 7 exercises pass.');
    expect(code).toBe(0);
    expect(readFileSync(join(root, '.workbook', 'state.json'), 'utf8')).toBe(before);
  });

  it('--target <dir> says which file a submission is missing', async () => {
    const { code, stdout } = await runCli(['check', 'adder', '--target', join(root, 'no-such-submission'), '--json'], {
      root,
    });
    expect(code).toBe(1);
    expect(JSON.parse(stdout).message).toMatch(/adder\.ts is missing|no such file/i);
    expect(existsSync(join(root, 'no-such-submission'))).toBe(false);
  });

  it("--target <dir> grades with the workbook's own copy of the files a lesson gives, not the submission's", async () => {
    const submission = join(root, 'submission');
    cpSync(join(root, 'lessons'), join(submission, 'lessons'), { recursive: true });
    const lesson = join(submission, 'lessons', '01-fixture');
    // Wrong only for 2 + 3, where the tampered given file expects the wrong answer.
    writeFileSync(
      join(lesson, 'adder.ts'),
      'export function add(a: number, b: number): number {\n  return a === 2 && b === 3 ? 6 : a + b;\n}\n',
    );
    writeFileSync(join(lesson, 'numbers.ts'), 'export const TWO_AND_THREE = 6;\n'); // tampered to match the wrong answer
    const { code, stdout } = await runCli(['check', 'adder', '--target', submission, '--no-types'], { root });
    expect(code).toBe(1);
    expect(stdout).toContain('✗ 01 adder');
    expect(stdout).toContain('✗ Task 1 adds 2 and 3');
  });

  it('suggests the closest names for an unknown exercise and exits 2', async () => {
    const { code, stderr } = await runCli(['check', 'ader'], { root });
    expect(code).toBe(2);
    expect(stderr).toContain("There is no exercise or lesson called 'ader'.");
    expect(stderr).toContain('Did you mean: adder?');
  });
});
