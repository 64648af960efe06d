// Grading at scale: three shards run as separate processes and merged give
// the gradebook of one unsharded run; a run killed with kill -9 resumes
// without losing what it finished; a submission over its memory limit is
// killed and reported.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../runner/helpers.ts';
import { gradebook, read, runGrade, scratch, solution, starter, submission } from './helpers.ts';

const s = scratch();
const subs = [
  submission(s, 'ann', solution),
  submission(s, 'ben', starter),
  submission(s, 'cat', { 'adder.ts': solution['adder.ts'], 'greet.ts': starter['greet.ts'] }),
  submission(s, 'dan', { 'greet.ts': solution['greet.ts'] }),
];

// Each test grades several submissions in child processes: minutes on a loaded 2-core machine.
describe('workbook grade at scale', { timeout: 300_000 }, () => {
  it('merges three shards, graded by separate processes, into the gradebook of one run', async () => {
    const whole = join(s.dir, 'whole');
    await runGrade(s, [...subs, '--out', whole]);
    const shards = [1, 2, 3].map((i) => join(s.dir, `shard-${i}`));
    await Promise.all(
      shards.map((dir, i) => runGrade(s, [...subs, '--shard', `${i + 1}/3`, '--jobs', '1', '--out', dir])),
    );
    const counts = shards.map((dir) => readdirSync(join(dir, 'records')).length);
    expect(counts).toEqual([2, 1, 1]); // every 3rd of the id-sorted roster
    const merged = join(s.dir, 'merged');
    const merge = await runGrade(s, ['merge', ...shards, '--out', merged]);
    expect(merge.stdout).toContain('Merged 4 students');
    expect(read(join(merged, 'gradebook.csv'))).toBe(read(join(whole, 'gradebook.csv')));
    expect(gradebook(merged).get('ann')?.raw_score).toBe('4');
    for (const id of ['ann', 'ben', 'cat', 'dan'])
      expect(read(join(merged, 'students', id, 'results.json'))).toBe(
        read(join(whole, 'students', id, 'results.json')),
      );
  });

  it('refuses to merge a folder that is not a grading output', async () => {
    const run = await runGrade(s, ['merge', s.class, '--out', join(s.dir, 'bad-merge')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('holds no grade.json');
  });

  it('resumes after kill -9, grading only what was not finished', async () => {
    const out = join(s.dir, 'killed');
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'workbook.js'), 'grade', ...subs, '--jobs', '1', '--out', out],
      {
        cwd: s.dir,
        env: { ...process.env, WORKBOOK_ROOT: s.workbook, NO_COLOR: '1', VITEST: undefined, VITEST_POOL_ID: undefined },
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Polls for the first finished record (bounded: the test's own timeout ends it).
    while (
      !existsSync(join(out, 'records')) ||
      readdirSync(join(out, 'records')).filter((f) => f.endsWith('.json')).length === 0
    )
      await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGKILL');
    await exited;
    const finished = readdirSync(join(out, 'records')).filter((f) => f.endsWith('.json')).length;
    expect(finished).toBeGreaterThan(0);
    const rerun = await runGrade(s, [...subs, '--out', out]);
    expect(rerun.stdout).toContain(`Grading ${4 - finished} submissions (${finished} already graded`);
    expect([...gradebook(out).keys()].sort()).toEqual(['ann', 'ben', 'cat', 'dan']);
    expect(read(join(out, 'gradebook.csv'))).toBe(read(join(s.dir, 'whole', 'gradebook.csv')));
  });

  it('kills a submission that goes over its memory limit and says so', async () => {
    const hog = submission(s, 'hog', {
      'adder.ts': `const keep: Buffer[] = [];\nfor (let i = 0; i < 32; i++) {\n  keep.push(Buffer.alloc(64 * 2 ** 20, 1));\n  await new Promise((r) => setImmediate(r));\n}\nexport const add = (a: number, b: number) => a + b + keep.length;\n`,
      'greet.ts': solution['greet.ts'],
    });
    const out = join(s.dir, 'hog-out');
    // 768 MiB leaves room for the runner itself (vitest, tsx, the type checker: a few hundred MiB); the hog wants 2 GiB.
    // Page faults are slow on a loaded machine: the stall detection must not stop the hog before its limit does.
    const run = await runGrade(s, [hog, subs[0]!, '--memory', '768', '--out', out], { WORKBOOK_STALL_MS: '120000' });
    expect(run.code).toBe(1);
    const book = gradebook(out);
    expect(book.get('hog')).toMatchObject({ status: 'memory', raw_score: '0' });
    expect(book.get('ann')).toMatchObject({ status: 'graded', raw_score: '4' });
    expect(read(join(out, 'students', 'hog', 'feedback.md'))).toContain('used more memory than it may');
  });
});
