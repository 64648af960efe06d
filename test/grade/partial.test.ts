// What a limit does not take away: a submission stopped by its time limit
// in its second lesson still gets the points of its first, and says where
// it stopped. And a lesson that several submissions share unchanged is
// graded once, into the same files as grading it on its own, unless its
// code reaches into another lesson.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addCountLesson,
  countLesson,
  gradebook,
  read,
  runGrade,
  scratch,
  solution,
  starter,
  submission,
} from './helpers.ts';

const s = scratch();
addCountLesson(s);

// Each test grades submissions in child processes: minutes on a loaded 2-core machine.
describe('workbook grade keeps what finished', { timeout: 300_000 }, () => {
  it('credits the lesson that finished before the time limit stopped a loop in the next one', async () => {
    const looping = submission(s, 'looping', solution, { '02-count': { 'count.ts': 'while (true) {}\nexport {};\n' } });
    const out = join(s.dir, 'out-loop');
    // The stall detection would find the loop and go on (15 s): here it waits longer than the
    // time limit, so the limit is what stops the check. 60 s leaves lesson 01 room on a loaded machine.
    const run = await runGrade(s, [looping, '--out', out, '--timeout', '60'], { WORKBOOK_STALL_MS: '600000' });
    expect(run.code).toBe(1);
    expect(gradebook(out).get('looping')).toMatchObject({
      '01-tiny': '4',
      '02-count': '0',
      raw_score: '4',
      max_score: '6',
      status: 'timeout',
    });
    const record = JSON.parse(read(join(out, 'records', 'looping.json')));
    expect(record.stoppedDuring).toEqual(['02-count/count']);
    expect(record.problem).toContain('lesson 02-count (count) was running');
    const results = JSON.parse(read(join(out, 'students', 'looping', 'results.json')));
    expect(results.tests.filter((t: { status: string }) => t.status === 'pass')).toHaveLength(4);
    expect(results.tests.at(-1)).toMatchObject({
      name: '02-count/count > count.test.ts',
      status: 'error',
      message: 'Not graded: grading stopped at the time limit while lesson 02-count (count) was running.',
    });
    const feedback = read(join(out, 'students', 'looping', 'feedback.md'));
    expect(feedback).toContain('It stopped during lesson 02-count; the tests that finished before count.');
    expect(feedback).toContain('✓ 01 adder: Adds (2 of 2 tests pass)');
  });

  it('grades a lesson shared unchanged by several submissions once, into the files grading it alone gives', async () => {
    const untouched = { '02-count': countLesson.starter };
    const subs = [
      submission(s, 'ann', solution, untouched),
      submission(s, 'bob', starter, untouched),
      submission(s, 'cid', starter, untouched),
    ];
    const together = join(s.dir, 'together');
    // One at a time, so the first use of each shared lesson has finished before the next asks for it.
    const run = await runGrade(s, [...subs, '--out', together, '--jobs', '1']);
    // 02-count is the same in all three (2 reused), 01-tiny in bob and cid (1 reused).
    expect(run.stdout).toContain('(3 lessons were the same files as in another submission: graded once)');
    const alone = join(s.dir, 'alone');
    await runGrade(s, [subs[2]!, '--out', alone]);
    for (const f of ['results.json', 'junit.xml', 'feedback.md', 'feedback.html'])
      expect(read(join(together, 'students', 'cid', f)), f).toBe(read(join(alone, 'students', 'cid', f)));
    expect(read(join(together, 'records', 'cid.json'))).toBe(read(join(alone, 'records', 'cid.json')));
    expect(gradebook(together).get('ann')).toMatchObject({ '01-tiny': '4', '02-count': '0' });
    // All three at once: the second and third wait for the lesson the first is grading, instead of grading it again.
    const atOnce = join(s.dir, 'at-once');
    const parallel = await runGrade(s, [...subs, '--out', atOnce, '--jobs', '3']);
    expect(parallel.stdout).toContain('(3 lessons were the same files as in another submission: graded once)');
    for (const student of ['ann', 'bob', 'cid'])
      expect(read(join(atOnce, 'records', `${student}.json`)), student).toBe(
        read(join(together, 'records', `${student}.json`)),
      );
  });

  it('never reuses a lesson whose code reached into another lesson as it ran', async () => {
    // The same 02-count files in both; each imports its own 01-tiny adder by a path built at run time.
    const count =
      "const { add } = await import(['..', '01-tiny', 'adder.ts'].join('/'));\n" +
      'export function count(n: number): number[] {\n  return Array.from({ length: n }, (_, i) => add(i, 1));\n}\n';
    const bad = submission(s, 'dyn-bad', starter, { '02-count': { 'count.ts': count } });
    const good = submission(s, 'dyn-good', solution, { '02-count': { 'count.ts': count } });
    const out = join(s.dir, 'out-dyn');
    await runGrade(s, [bad, good, '--out', out, '--jobs', '1']);
    expect(gradebook(out).get('dyn-bad')).toMatchObject({ '01-tiny': '0', '02-count': '0' });
    expect(gradebook(out).get('dyn-good')).toMatchObject({ '01-tiny': '4', '02-count': '2' });
  });
});
