// Generated fixtures for the grader's tests, all in os.tmpdir() and removed
// after each file: a tiny workbook (one lesson, two exercises, a given
// file, solutions), the six kinds of submission, archives, and a runner
// for `workbook grade` in a child process.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { repoRoot } from '../runner/helpers.ts';

export interface Scratch {
  dir: string;
  workbook: string;
  class: string;
}

const LESSON = '01-tiny';

const files = {
  'lesson.json': JSON.stringify({
    title: 'Tiny',
    summary: 'Two exercises for the grader tests.',
    exercises: [
      { name: 'adder', task: 1, title: 'Adds', file: 'adder.ts', test: 'adder.test.ts', points: 3 },
      { name: 'greet', task: 2, title: 'Greets', file: 'greet.ts', test: 'greet.test.ts' },
    ],
  }),
  'given.ts': "export const GREETING = 'hello';\n",
  'adder.test.ts': `import { describe, expect, it } from 'vitest';
import { add } from './adder.ts';
describe('Task 1: add', () => {
  it('adds 2 and 3', () => expect(add(2, 3)).toBe(5));
  it('adds negatives', () => expect(add(-2, -3)).toBe(-5));
});
`,
  // The second test passes only when the check runs at the project root, as
  // a learner's does: `node --import tsx` (how lesson 06 starts its cluster
  // workers) looks for tsx in the working directory.
  'greet.test.ts': `import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { greet } from './greet.ts';
describe('Task 2: greet', () => {
  it('greets Ada', () => expect(greet('Ada')).toBe('hello, Ada'));
  it('greets as a child started with --import tsx does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'greeter-'));
    try {
      const program = join(dir, 'greeter.ts');
      writeFileSync(program, "const who: string = 'Bo';\\nprocess.stdout.write('hello, ' + who);\\n");
      expect(greet('Bo')).toBe(String(execFileSync(process.execPath, ['--import', 'tsx', program])));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
`,
};

export const starter = {
  'adder.ts': `// TODO: add a and b (task 1 in lessons/${LESSON}/README.md)\nexport function add(a: number, b: number): number {\n  throw new Error('TODO: write add (task 1 in lessons/${LESSON}/README.md)');\n}\n`,
  'greet.ts': `import { GREETING } from './given.ts';\n// TODO: greet (task 2 in lessons/${LESSON}/README.md)\nexport function greet(name: string): string {\n  throw new Error('TODO: write greet (task 2 in lessons/${LESSON}/README.md)');\n}\nvoid GREETING;\n`,
};

export const solution = {
  'adder.ts': 'export function add(a: number, b: number): number {\n  return a + b;\n}\n',
  'greet.ts':
    "import { GREETING } from './given.ts';\nexport function greet(name: string): string {\n  return GREETING + ', ' + name;\n}\n",
};

/** A scratch folder with the tiny workbook in it, removed after the test file. */
export function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'workbook-grade-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const workbook = join(dir, 'workbook');
  writeTree(join(workbook, 'lessons', LESSON), { ...files, ...starter, 'README.md': '# Tiny\n', 'hints.md': '' });
  writeTree(join(workbook, 'solutions', LESSON), solution);
  writeFileSync(join(workbook, 'package.json'), '{ "name": "tiny-workbook", "private": true, "type": "module" }\n');
  const classDir = join(dir, 'class');
  mkdirSync(classDir);
  return { dir, workbook, class: classDir };
}

/** A second lesson in a scratch workbook, 02-count: one exercise, `count` (2 points). */
export const countLesson = {
  files: {
    'lesson.json': JSON.stringify({
      title: 'Count',
      summary: 'A second lesson for the grader tests.',
      exercises: [{ name: 'count', task: 1, title: 'Counts', file: 'count.ts', test: 'count.test.ts', points: 2 }],
    }),
    'count.test.ts': `import { describe, expect, it } from 'vitest';
import { count } from './count.ts';
describe('Task 1: count', () => {
  it('counts to 3', () => expect(count(3)).toEqual([1, 2, 3]));
});
`,
    'README.md': '# Count\n',
    'hints.md': '',
  },
  starter: {
    'count.ts':
      "// TODO: count from 1 to n (task 1 in lessons/02-count/README.md)\nexport function count(n: number): number[] {\n  throw new Error('TODO: write count (task 1 in lessons/02-count/README.md)');\n}\n",
  },
  solution: {
    'count.ts':
      'export function count(n: number): number[] {\n  return Array.from({ length: n }, (_, i) => i + 1);\n}\n',
  },
};

/** Adds lesson 02-count to the scratch workbook. */
export function addCountLesson(s: Scratch): void {
  writeTree(join(s.workbook, 'lessons', '02-count'), { ...countLesson.files, ...countLesson.starter });
  writeTree(join(s.workbook, 'solutions', '02-count'), countLesson.solution);
}

export function writeTree(dir: string, tree: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(tree)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** A submission folder `<class>/<id>/lessons/01-tiny/` holding `tree` (and `more` lesson folders). */
export function submission(
  s: Scratch,
  id: string,
  tree: Record<string, string>,
  more: Record<string, Record<string, string>> = {},
): string {
  const dir = join(s.class, id);
  writeTree(join(dir, 'lessons', LESSON), tree);
  for (const [lesson, files] of Object.entries(more)) writeTree(join(dir, 'lessons', lesson), files);
  return dir;
}

/** The six kinds of submission the issue names (the escaping one needs paths to aim at). */
export function sixKinds(s: Scratch, marker: string): Record<string, string> {
  const solutionsFile = join(s.workbook, 'solutions', LESSON, 'adder.ts');
  const testFile = join(s.workbook, 'lessons', LESSON, 'adder.test.ts');
  const hostile = `import { appendFileSync, mkdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
const here = dirname(fileURLToPath(import.meta.url));
const tryTo = (f: () => void) => { try { f(); } catch {} };
let stolen = '';
// Read the reference solution: by a relative path, then by the instructor's absolute path.
for (const p of [join(here, '../../solutions/${LESSON}/adder.ts'), join(here, '../../../solutions/${LESSON}/adder.ts'), ${JSON.stringify(solutionsFile)}])
  tryTo(() => { stolen ||= readFileSync(p, 'utf8'); });
// Rewrite the tests so that they pass: the copy's own and the instructor's.
for (const p of [join(here, '../../proj/workbook/lessons/${LESSON}/greet.test.ts'), ${JSON.stringify(testFile)}])
  tryTo(() => writeFileSync(p, "import { it } from 'vitest'; it('passes', () => {});\\n"));
// Forge its results: a results.json in the copy's out/, the token the check reads there, and
// stream lines on stdout (without the token, which it cannot read).
const forged = JSON.stringify({ version: 3, status: 'pass', tests: [{ name: '01-tiny/adder > adds 2 and 3', status: 'pass' }] });
tryTo(() => writeFileSync(join(here, '../../out/results.json'), forged));
let token = 'x'.repeat(48);
tryTo(() => { token = readFileSync(join(here, '../../out/token-proj'), 'utf8'); });
const piece = (id: string) => ({ id, results: { tests: [{ name: id + ' > passes', status: 'pass' }], ran: true, problems: [] }, report: { text: 'forged' } });
for (const type of ['tested', 'final'])
  for (const id of ['01-tiny/adder', '01-tiny/greet'])
    tryTo(() => writeSync(1, token + ' ' + JSON.stringify({ type, piece: piece(id) }) + '\\n'));
tryTo(() => writeSync(1, token + ' ' + JSON.stringify({ type: 'done', independent: true }) + '\\n'));
// Rewrite its own greet.ts, which the next test file imports.
tryTo(() => writeFileSync(join(here, 'greet.ts'), ${JSON.stringify(solution['greet.ts'])}));
// Write outside its folder.
tryTo(() => writeFileSync(${JSON.stringify(marker)}, 'escaped'));
tryTo(() => writeFileSync(join(here, '../../../escaped.txt'), 'escaped'));
export function add(a: number, b: number): number {
  if (!stolen) throw new Error('no solution to copy');
  return a + b;
}
`;
  return {
    perfect: submission(s, 'perfect', solution),
    starters: submission(s, 'starters', starter),
    half: submission(s, 'half', { 'adder.ts': solution['adder.ts'], 'greet.ts': starter['greet.ts'] }),
    loop: submission(s, 'loop', {
      'adder.ts': 'while (true) {}\nexport const add = () => 0;\n',
      'greet.ts': solution['greet.ts'],
    }),
    escape: submission(s, 'escape', { 'adder.ts': hostile, 'greet.ts': starter['greet.ts'] }),
    missing: submission(s, 'missing', { 'greet.ts': solution['greet.ts'] }),
  };
}

export interface GradeRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `workbook grade <args>` against the scratch workbook; never throws on a non-zero exit. */
export function runGrade(s: Scratch, args: string[], env: Record<string, string> = {}): Promise<GradeRun> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', WORKBOOK_STALL_MS: '10000', ...env };
    for (const k of ['VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'TEST', 'NODE_ENV']) delete childEnv[k];
    childEnv.WORKBOOK_ROOT = s.workbook;
    execFile(
      process.execPath,
      [join(repoRoot, 'bin', 'workbook.js'), 'grade', ...args],
      { cwd: s.dir, env: childEnv, timeout: 240_000, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

export function read(file: string): string {
  return readFileSync(file, 'utf8');
}

/** The gradebook as rows keyed by student id. */
export function gradebook(out: string): Map<string, Record<string, string>> {
  const [head, ...rows] = read(join(out, 'gradebook.csv')).trim().split('\n');
  const cols = head!.split(',');
  return new Map(
    rows.map((r) => {
      const cells = r.split(',');
      const row = Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']));
      return [row.student_id!, row];
    }),
  );
}

export function copyDir(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}
