// `workbook grade` end to end on a generated two-exercise workbook: the six
// kinds of submission, a hostile one that tries to escape, determinism,
// resume, hidden tests, archives, a roster with a missing folder.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { availableIsolation } from '../../runner/grade/limits.ts';
import { sha256 } from '../../runner/kit/index.ts';
import { makeTarGz, makeZip } from './archives.ts';
import { gradebook, read, runGrade, scratch, sixKinds, solution, starter, writeTree } from './helpers.ts';

const s = scratch();
const marker = join(s.dir, 'escaped-marker.txt');
const kinds = sixKinds(s, marker);
const out = join(s.dir, 'out');
const namespaces = availableIsolation() === 'namespace';
const hashOf = (file: string) => sha256(read(file));
const instructorFiles = [
  'lessons/01-tiny/adder.test.ts',
  'lessons/01-tiny/greet.test.ts',
  'solutions/01-tiny/adder.ts',
];
const before = instructorFiles.map((f) => hashOf(join(s.workbook, f)));

// Each test grades a few submissions in child processes: minutes on a loaded 2-core machine.
describe('workbook grade', { timeout: 300_000 }, () => {
  it('grades the six kinds of submission into a gradebook with points and partial credit', async () => {
    const run = await runGrade(s, [...Object.values(kinds), '--out', out, '--timeout', '120']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Grading 6 submissions.');
    const book = gradebook(out);
    expect(read(join(out, 'gradebook.csv')).split('\n')[0]).toBe(
      'assignment,timestamp,student_id,raw_score,max_score,score,01-tiny,status',
    );
    // adder is worth 3 points (lesson.json "points"), greet 1.
    expect(book.get('perfect')).toMatchObject({ raw_score: '4', max_score: '4', score: '4', '01-tiny': '4' });
    expect(book.get('starters')).toMatchObject({ raw_score: '0', max_score: '4' });
    expect(book.get('half')).toMatchObject({ raw_score: '3' });
    expect(book.get('missing')).toMatchObject({ raw_score: '1', status: 'graded' });
    expect(book.get('loop')?.raw_score).toBe('1'); // the looping adder scores 0, its greet still counts
    const feedback = read(join(out, 'students', 'starters', 'feedback.md'));
    expect(feedback).toContain('TODO: write add (task 1 in lessons/01-tiny/README.md)');
    expect(feedback).toContain('(This part is not written yet.)');
    expect(read(join(out, 'students', 'missing', 'feedback.md'))).toContain('adder.ts is missing');
    expect(read(join(out, 'students', 'starters', 'feedback.html'))).toContain('<h1>Feedback for starters</h1>');
    const results = JSON.parse(read(join(out, 'students', 'half', 'results.json')));
    expect(results).toMatchObject({ version: 3, status: 'fail' });
    expect(read(join(out, 'students', 'half', 'junit.xml'))).toMatch(
      /<testsuite name="01-tiny\/greet" tests="2" failures="2"/,
    );
    const report = read(join(out, 'class-report.html'));
    expect(report).toContain('<svg');
    expect(report).toContain('6 submissions');
  });

  it.skipIf(!namespaces)(
    'keeps a hostile submission from reading solutions, rewriting tests or writing outside its copy',
    () => {
      // The escaping submission read nothing to copy, so its adder fails; the copy's greet test it rewrote stays its own.
      const book = gradebook(out);
      expect(book.get('escape')?.raw_score).toBe('0');
      expect(book.get('perfect')?.raw_score).toBe('4');
      expect(instructorFiles.map((f) => hashOf(join(s.workbook, f)))).toEqual(before);
      expect(existsSync(marker)).toBe(false);
      expect(existsSync(join(s.dir, 'escaped.txt'))).toBe(false);
      expect(read(join(out, 'grade.json'))).toContain('namespaces');
    },
  );

  it('grades the same submissions again into byte-identical files, and a re-run skips them', async () => {
    const again = join(s.dir, 'again');
    const stable = ['perfect', 'starters', 'half', 'missing'];
    await runGrade(s, [...stable.map((k) => kinds[k]!), '--out', again]);
    for (const id of stable)
      for (const f of readdirSync(join(out, 'students', id)))
        expect(read(join(again, 'students', id, f)), `${id}/${f}`).toBe(read(join(out, 'students', id, f)));
    const rerun = await runGrade(s, [...stable.map((k) => kinds[k]!), '--out', again]);
    expect(rerun.stdout).toContain('Grading 0 submissions (4 already graded and unchanged: skipped).');
    // A changed submission is graded again.
    writeFileSync(join(kinds.starters!, 'lessons', '01-tiny', 'greet.ts'), solution['greet.ts']);
    const changed = await runGrade(s, [...stable.map((k) => kinds[k]!), '--out', again]);
    expect(changed.stdout).toContain('Grading 1 submissions (3 already graded');
    expect(gradebook(again).get('starters')?.raw_score).toBe('1');
    writeFileSync(join(kinds.starters!, 'lessons', '01-tiny', 'greet.ts'), starter['greet.ts']);
  });

  it('counts hidden tests in the score but shows only their number in feedback', async () => {
    const hidden = join(s.dir, 'hidden');
    writeTree(join(hidden, '01-tiny'), {
      'greet.test.ts': `import { expect, it } from 'vitest';\nimport { greet } from './greet.ts';\nit('SECRET-NAME greets Bob', () => expect(greet('Bob'), 'SECRET-MESSAGE').toBe('hello, Bob'));\nit('SECRET-NAME greets nobody', () => expect(greet('')).toBe('hello, '));\n`,
    });
    const hout = join(s.dir, 'hidden-out');
    const half = join(s.class, 'half-greet');
    writeTree(join(half, 'lessons', '01-tiny'), {
      ...solution,
      'greet.ts': "export function greet(name: string): string {\n  return name === 'Ada' ? 'hello, Ada' : 'hi';\n}\n",
    });
    await runGrade(s, [kinds.perfect!, half, '--out', hout, '--hidden', hidden]);
    const book = gradebook(hout);
    expect(book.get('perfect')?.raw_score).toBe('4');
    // greet: 1 of 2 visible tests passes (it greets only Ada), 0 of 2 hidden pass: a quarter of its point.
    expect(book.get('half-greet')?.raw_score).toBe('3.25');
    for (const id of ['perfect', 'half-greet']) {
      for (const f of readdirSync(join(hout, 'students', id)))
        expect(read(join(hout, 'students', id, f))).not.toContain('SECRET');
    }
    expect(read(join(hout, 'students', 'half-greet', 'feedback.md'))).toContain('2 hidden tests: 0 passed');
    expect(read(join(hout, 'students', 'perfect', 'feedback.md'))).toContain('2 hidden tests: 2 passed');
  });

  it('grades archives, refuses unsafe ones with a reason, and grades a roster with a missing folder', async () => {
    const files = Object.entries(solution).map(([f, text]) => ({
      name: `sub/lessons/01-tiny/${f}`,
      data: Buffer.from(text),
    }));
    writeFileSync(join(s.class, 'zipped.zip'), makeZip(files));
    writeFileSync(join(s.class, 'tarred.tar.gz'), makeTarGz(files));
    writeFileSync(join(s.class, 'sneaky.zip'), makeZip([...files, { name: '../../evil.ts', data: Buffer.from('x') }]));
    writeFileSync(join(s.class, 'bomb.zip'), makeZip([{ name: 'zeros', data: Buffer.alloc(60 * 2 ** 20) }]));
    writeFileSync(
      join(s.class, 'roster.csv'),
      'student_id,path\nzipped,zipped.zip\ntarred,tarred.tar.gz\nsneaky,sneaky.zip\nbomb,bomb.zip\nghost,nowhere\n',
    );
    const rout = join(s.dir, 'roster-out');
    const run = await runGrade(s, [join(s.class, 'roster.csv'), '--out', rout]);
    expect(run.code).toBe(1);
    const book = gradebook(rout);
    expect(book.get('zipped')).toMatchObject({ raw_score: '4', status: 'graded' });
    expect(book.get('tarred')).toMatchObject({ raw_score: '4', status: 'graded' });
    expect(book.get('sneaky')).toMatchObject({ raw_score: '0', status: 'refused' });
    expect(book.get('bomb')).toMatchObject({ raw_score: '0', status: 'refused' });
    expect(book.get('ghost')).toMatchObject({ raw_score: '0', max_score: '4', status: 'missing' });
    expect(read(join(rout, 'students', 'sneaky', 'feedback.md'))).toContain('escapes its folder');
    expect(read(join(rout, 'students', 'bomb', 'feedback.md'))).toContain('zip bomb');
    expect(existsSync(join(s.dir, 'evil.ts'))).toBe(false);
    expect(read(join(rout, 'class-report.html'))).toContain('ghost: missing');
  });

  it('refuses bad options with a clear message', async () => {
    expect((await runGrade(s, [kinds.perfect!, '--shard', '4/3'])).stderr).toContain('--shard takes i/n');
    expect((await runGrade(s, [kinds.perfect!, '--jobs', 'many'])).stderr).toContain('--jobs takes a whole number');
    expect((await runGrade(s, [join(s.dir, 'nope')])).stderr).toContain('does not exist');
    expect((await runGrade(s, ['grade-merge-missing'])).code).toBe(2);
  });
});
