// The runner's other commands end to end on the fixture workbook.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureCopy, runCli } from './helpers.ts';

const root = fixtureCopy();
const statePath = join(root, '.workbook', 'state.json');
const writeState = (state: unknown): void => {
  mkdirSync(join(root, '.workbook'), { recursive: true });
  writeFileSync(statePath, typeof state === 'string' ? state : JSON.stringify(state));
};

describe('workbook list', () => {
  it('shows every exercise as done, current or not started, and the overall progress', async () => {
    writeState({ version: 1, done: ['01-fixture/adder'], hints: {} });
    const { code, stdout } = await runCli(['list'], { root });
    expect(code).toBe(0);
    expect(stdout).toContain('Lesson 01: Fixture lesson');
    expect(stdout).toMatch(/✓ adder\s+task 1 {2}Adds two numbers \(done\)/);
    expect(stdout).toMatch(/→ wrong-bytes\s+task 2 {2}Returns the wrong bytes \(current\)/);
    expect(stdout).toMatch(/· broken-syntax\s+task 3 {2}Does not parse \(not started\)/);
    expect(stdout).toContain('1 of 7 exercises done');
  });

  it('sets a corrupt progress file aside and rebuilds it instead of crashing', async () => {
    writeState('{ "done": [ this is not json');
    const { code, stdout, stderr } = await runCli(['list'], { root });
    expect(code).toBe(0);
    expect(stderr).toMatch(
      /^Your progress file .workbook\/state.json was damaged \(not a progress file\); moved it to/,
    );
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stdout).toContain('0 of 7 exercises done');
    const aside = readdirSync(join(root, '.workbook')).find((f) => f.startsWith('state.json.damaged-'));
    expect(readFileSync(join(root, '.workbook', aside!), 'utf8')).toBe('{ "done": [ this is not json');
  });
});

describe('a damaged .workbook folder', () => {
  /** Checks a passing exercise and expects a verdict, exit 0, one line about the repair and no stray files. */
  async function checkPasses(aside: string): Promise<void> {
    const { code, stdout, stderr } = await runCli(['check', 'adder', '--no-types'], { root });
    expect(stdout).toContain('✓ 01 adder');
    expect(code).toBe(0);
    expect(stderr.match(/was damaged/g)).toHaveLength(1);
    expect(stderr).toContain(`moved it to ${aside}.damaged-`);
    expect(JSON.parse(readFileSync(statePath, 'utf8')).done).toContain('01-fixture/adder');
    const files = readdirSync(join(root, '.workbook'));
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }

  it('moves a state.json that is a folder aside, keeping what it holds, and rebuilds the state', async () => {
    rmSync(join(root, '.workbook'), { recursive: true, force: true });
    mkdirSync(statePath, { recursive: true });
    writeFileSync(join(statePath, 'keep.txt'), 'mine');
    await checkPasses('.workbook/state.json');
    const aside = readdirSync(join(root, '.workbook')).find((f) => f.startsWith('state.json.damaged-'));
    expect(readFileSync(join(root, '.workbook', aside!, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('moves a .workbook that is a file aside and rebuilds the state', async () => {
    rmSync(join(root, '.workbook'), { recursive: true, force: true });
    writeFileSync(join(root, '.workbook'), 'not a folder');
    await checkPasses('.workbook');
    const aside = readdirSync(root).find((f) => f.startsWith('.workbook.damaged-'));
    expect(readFileSync(join(root, aside!), 'utf8')).toBe('not a folder');
  });
});

describe('workbook hint', () => {
  it('reveals the hints of the current exercise one at a time, then says there are no more', async () => {
    writeState({ version: 1, done: [], hints: {} });
    const first = await runCli(['hint'], { root });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Hint 1 of 2');
    expect(first.stdout).toContain('Use the `+` operator.');
    expect(first.stdout).not.toContain('Hint 2 of 2');
    const second = await runCli(['hint', 'adder'], { root });
    expect(second.stdout).toContain('Hint 2 of 2');
    expect(second.stdout).toContain('return a + b;');
    const third = await runCli(['hint', 'adder'], { root });
    expect(third.stdout).toContain('That was the last hint.');
    expect(JSON.parse(readFileSync(statePath, 'utf8')).hints['01-fixture/adder']).toBe(2);
  });

  it('says plainly when a task has no hints', async () => {
    const { code, stderr } = await runCli(['hint', 'broken-syntax'], { root });
    expect(code).toBe(1);
    expect(stderr).toContain('Task 3 of lesson 01 has no hints yet.');
  });
});

describe('workbook hint with a malformed hints.md', () => {
  it('names the file and line of the problem', async () => {
    const copy = fixtureCopy();
    const file = join(copy, 'lessons', '01-fixture', 'hints.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('### Hint 2', '### Second hint'));
    const { code, stderr } = await runCli(['hint', 'adder'], { root: copy });
    expect(code).toBe(1);
    expect(stderr).toContain('lessons/01-fixture/hints.md:8: "### Second hint" should be "### Hint N"');
  });
});

describe('workbook solution', () => {
  it('refuses before the exercise passes, and explains --force', async () => {
    writeState({ version: 1, done: [], hints: {} });
    const { code, stderr } = await runCli(['solution', 'wrong-bytes'], { root });
    expect(code).toBe(1);
    expect(stderr).toContain('opens once your own passes');
    expect(stderr).toContain('--force');
  });

  it('shows it with --force, saying that it spoils the exercise', async () => {
    const { code, stdout } = await runCli(['solution', 'wrong-bytes', '--force'], { root });
    expect(code).toBe(0);
    expect(stdout).toContain('Spoiler');
    expect(stdout).toContain("return Buffer.from('hello');");
  });

  it('shows it once the exercise passes', async () => {
    writeState({ version: 1, done: ['01-fixture/adder'], hints: {} });
    const { code, stdout } = await runCli(['solution', 'adder'], { root });
    expect(code).toBe(0);
    expect(stdout).toContain('Reference solution: solutions/01-fixture/adder.ts');
    expect(stdout).not.toContain('Spoiler');
  });
});

describe('workbook reset', () => {
  it('restores the starter from git after --yes, and marks the exercise not done', async () => {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
    git('init', '-q');
    git('add', '-A');
    git('-c', 'user.email=t@example.invalid', '-c', 'user.name=t', 'commit', '-qm', 'starters');
    const file = join(root, 'lessons', '01-fixture', 'adder.ts');
    const starter = readFileSync(file, 'utf8');
    writeFileSync(file, 'export const broken = true;\n');
    writeState({ version: 1, done: ['01-fixture/adder'], hints: {} });
    const { code, stdout } = await runCli(['reset', 'adder', '--yes'], { root });
    expect(code).toBe(0);
    expect(stdout).toContain('lessons/01-fixture/adder.ts is back to its starter.');
    expect(readFileSync(file, 'utf8')).toBe(starter);
    expect(JSON.parse(readFileSync(statePath, 'utf8')).done).not.toContain('01-fixture/adder');
  });

  it('asks for --yes when there is no terminal to confirm in, and changes nothing', async () => {
    const file = join(root, 'lessons', '01-fixture', 'adder.ts');
    writeFileSync(file, '// my work\n');
    const { code, stderr } = await runCli(['reset', 'adder'], { root });
    expect(code).toBe(2);
    expect(stderr).toContain('add --yes');
    expect(readFileSync(file, 'utf8')).toBe('// my work\n');
  });
});

describe('the CLI as a whole', () => {
  it.each(['list', 'check', 'watch', 'hint', 'solution', 'reset', 'render', 'serve', 'dev'])(
    '%s --help describes the command and exits 0',
    async (command) => {
      const { code, stdout } = await runCli([command, '--help'], { root });
      expect(code).toBe(0);
      expect(stdout).toMatch(/Usage: npx workbook/);
    },
  );

  it('--help lists the commands', async () => {
    const { code, stdout } = await runCli(['--help'], { root });
    expect(code).toBe(0);
    for (const command of ['list', 'check', 'watch', 'hint', 'solution', 'reset', 'render', 'serve'])
      expect(stdout).toContain(`  ${command}`);
  });

  it('suggests a command for a typo and exits 2', async () => {
    const { code, stderr } = await runCli(['chek'], { root });
    expect(code).toBe(2);
    expect(stderr).toContain('Did you mean: check?');
  });

  it('rejects an unknown option with the way to see the options', async () => {
    const { code, stderr } = await runCli(['check', '--colour'], { root });
    expect(code).toBe(2);
    expect(stderr).toContain("Run 'npx workbook check --help' for its options.");
  });

  it('says where to run it when started outside the workbook', async () => {
    const { code, stderr } = await runCli(['list'], { cwd: tmpdir() });
    expect(code).toBe(2);
    expect(stderr).toContain('is not inside the workbook');
    // Not 'npx workbook': outside the workbook that fetches an unrelated registry package.
    expect(stderr).toContain('npm start');
    expect(stderr).not.toContain('npx');
  });
});
