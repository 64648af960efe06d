// The grader's pure parts: points and partial credit, the gradebook's CSV,
// normalising a child's output, shards, rosters, lesson.json "points",
// reading the stream a check reports on, the lesson cache.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultsJson } from '../../runner/check/results-json.ts';
import { LessonCache, lessonKey } from '../../runner/grade/cache.ts';
import { makeRecord, normalize, scoreExercises } from '../../runner/grade/record.ts';
import { gradebookCsv } from '../../runner/grade/reports.ts';
import { StreamReader } from '../../runner/grade/stream.ts';
import { parseShard, readRoster, shardOf } from '../../runner/grade/submissions.ts';
import { WorkbookError } from '../../runner/errors.ts';
import { parseLessonJson } from '../../runner/lesson-json.ts';
import type { Lesson } from '../../runner/workbook.ts';

const lesson = { slug: '01-tiny', number: '01', exercises: [] } as unknown as Lesson;
lesson.exercises = [
  {
    id: '01-tiny/adder',
    name: 'adder',
    task: 1,
    title: 'Adds',
    file: 'adder.ts',
    test: 'adder.test.ts',
    points: 1,
    lesson,
  },
  {
    id: '01-tiny/greet',
    name: 'greet',
    task: 2,
    title: 'Greets',
    file: 'greet.ts',
    test: 'greet.test.ts',
    points: 1,
    lesson,
  },
];
const json = (tests: Array<[string, 'pass' | 'fail']>): ResultsJson => ({
  version: 3,
  status: 'fail',
  tests: tests.map(([name, status]) => ({
    name,
    status,
    ...(status === 'fail' ? { message: 'expected 5\nmore' } : {}),
  })),
});

describe('scoring', () => {
  it('shares an exercise’s points among its visible and hidden tests', () => {
    const visible = json([
      ['01-tiny/adder > a', 'pass'],
      ['01-tiny/adder > b', 'pass'],
      ['01-tiny/adder > c', 'fail'],
    ]);
    const hidden = json([['01-tiny/adder > secret', 'pass']]);
    const [adder, greet] = scoreExercises([lesson], (id) => (id.endsWith('adder') ? 3 : 1), visible, hidden);
    expect(adder).toMatchObject({ points: 3, score: 2.25, passed: 2, total: 3, hiddenPassed: 1, hiddenTotal: 1 });
    expect(adder!.firstFailure).toBe('c: expected 5');
    expect(greet).toMatchObject({ score: 0, total: 0 }); // no tests ran: nothing earned
    const record = makeRecord({ student: 'a', hash: 'h', timestamp: 't', end: 'graded', exercises: [adder!, greet!] }, [
      lesson,
    ]);
    expect(record).toMatchObject({ raw: 2.25, max: 4, lessons: { '01-tiny': { score: 2.25, max: 4 } } });
  });

  it('writes nbgrader’s columns, a column per lesson, and quotes cells that need it', () => {
    const record = makeRecord(
      { student: 'b', hash: 'h', timestamp: '2026-01-01T00:00:00.000Z', end: 'timeout', exercises: [] },
      [lesson],
    );
    expect(gradebookCsv([record], { assignment: 'week, 1', lessons: ['01-tiny'] })).toBe(
      'assignment,timestamp,student_id,raw_score,max_score,score,01-tiny,status\n"week, 1",2026-01-01T00:00:00.000Z,b,0,0,0,0,timeout\n',
    );
  });

  it('makes a child’s output independent of the sandbox path and of ephemeral ports', () => {
    const copy = join(tmpdir(), 'workbook-grade-x', 'sub-abc');
    expect(normalize(`at ${copy}/submission/01-tiny/adder.ts:3:4 via 127.0.0.1:45123 in ${copy}`, copy)).toBe(
      'at lessons/01-tiny/adder.ts:3:4 via 127.0.0.1:<port> in .',
    );
    expect(normalize('submission/01-tiny/adder.ts:1:1', copy)).toBe('lessons/01-tiny/adder.ts:1:1');
  });
});

describe('shards and rosters', () => {
  it('splits a sorted list into disjoint shards that cover it', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const shards = [1, 2, 3].map((index) => shardOf(ids, { index, count: 3 }));
    expect(shards).toEqual([['a', 'd'], ['b', 'e'], ['c']]);
    expect(() => parseShard('0/3')).toThrow(/--shard takes i\/n/);
    expect(() => parseShard('2')).toThrow(/--shard takes i\/n/);
    expect(parseShard('3/3')).toEqual({ index: 3, count: 3 });
  });

  const dir = mkdtempSync(join(tmpdir(), 'workbook-roster-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a roster, marking a missing folder instead of failing', () => {
    writeFileSync(join(dir, 'r.csv'), 'student_id,path\nann,.\nghost,nowhere\n');
    const [ann, ghost] = readRoster(join(dir, 'r.csv'));
    expect(ann).toEqual({ id: 'ann', source: dir });
    expect(ghost).toMatchObject({ id: 'ghost', problem: 'the submission nowhere was not found' });
  });

  it('refuses a roster without its header, or with an id that cannot name a folder', () => {
    writeFileSync(join(dir, 'bad.csv'), 'name,folder\nann,.\n');
    expect(() => readRoster(join(dir, 'bad.csv'))).toThrow(/needs a first line 'student_id,path'/);
    writeFileSync(join(dir, 'bad-id.csv'), 'student_id,path\n../x,.\n');
    expect(() => readRoster(join(dir, 'bad-id.csv'))).toThrow(/bad-id.csv:2: the student id/);
  });
});

describe('lesson.json points', () => {
  const base = {
    title: 'T',
    summary: 'S',
    exercises: [{ name: 'a', task: 1, title: 'A', file: 'a.ts', test: 'a.test.ts' }],
  };
  it('defaults to 1 and takes a number of 0 or more', () => {
    expect(parseLessonJson(JSON.stringify(base), 'lesson.json').exercises[0]!.points).toBe(1);
    const two = { ...base, exercises: [{ ...base.exercises[0], points: 2.5 }] };
    expect(parseLessonJson(JSON.stringify(two), 'lesson.json').exercises[0]!.points).toBe(2.5);
  });
  it('refuses points that are not a number of 0 or more', () => {
    for (const points of [-1, '3', null]) {
      const bad = { ...base, exercises: [{ ...base.exercises[0], points }] };
      expect(() => parseLessonJson(JSON.stringify(bad), 'lesson.json')).toThrow(WorkbookError);
    }
  });
});

describe('the stream a check reports on', () => {
  const token = 'ab'.repeat(24);
  const piece = (id: string) => ({ id, results: { tests: [], ran: true, problems: [] }, report: { text: id } });
  const line = (event: object, prefix = token) => `${prefix} ${JSON.stringify(event)}\n`;

  it('keeps the lines that carry the token, split anywhere across chunks', () => {
    const reader = new StreamReader(token, (t) => t);
    const text =
      line({ type: 'started', id: '01-tiny/adder' }) +
      line({ type: 'tested', piece: piece('01-tiny/adder') }) +
      line({ type: 'final', piece: piece('01-tiny/adder') }) +
      line({ type: 'done', independent: true });
    for (let i = 0; i < text.length; i += 7) reader.push(text.slice(i, i + 7));
    expect(reader.stream.started).toEqual(['01-tiny/adder']);
    expect([...reader.stream.final.keys()]).toEqual(['01-tiny/adder']);
    expect(reader.stream.done).toEqual({ independent: true });
  });

  it('ignores lines without the token, torn lines, and other output', () => {
    const reader = new StreamReader(token, (t) => t);
    reader.push(line({ type: 'final', piece: piece('01-tiny/adder') }, 'cd'.repeat(24)));
    reader.push(`${token} {"type":"final","piece":{"id":"01-tiny/gr`); // torn by a write into the middle
    reader.push('eet"... learner output\n');
    reader.push('console output\n');
    reader.push(line({ type: 'done', independent: true }).slice(1));
    expect(reader.stream.final.size).toBe(0);
    expect(reader.stream.done).toBeUndefined();
  });

  it('normalises each line before it is read', () => {
    const copy = join(tmpdir(), 'copy-1', 'submission', sep);
    const reader = new StreamReader(token, (t) => t.replace(copy, 'lessons/'));
    reader.push(
      line({
        type: 'final',
        piece: { ...piece('01-tiny/adder'), report: { text: `at ${copy}01-tiny/adder.ts:3` } },
      }),
    );
    expect(reader.stream.final.get('01-tiny/adder')?.report.text).toBe('at lessons/01-tiny/adder.ts:3');
  });
});

describe('the lesson cache', () => {
  const pieces = [{ id: '01-tiny/adder', results: { tests: [], ran: false, problems: [] }, report: { text: '' } }];

  /** Looks `key` up, and when the cache says to grade it, "grades" it with `graded`. */
  const gradeOrTake = (cache: LessonCache, key: string, graded = pieces) => {
    const found = cache.lookup(key);
    if (found.kind === 'grade') found.done(graded);
    return found.kind;
  };

  it('keeps results only for a key another submission will ask for, and drops them after its last use', () => {
    const cache = new LessonCache();
    for (let i = 0; i < 3; i++) cache.expect('shared');
    cache.expect('alone');
    expect(gradeOrTake(cache, 'alone')).toBe('grade');
    expect(gradeOrTake(cache, 'shared')).toBe('grade');
    const kept = cache.lookup('shared');
    expect(kept.kind === 'kept' && kept.pieces).toBe(pieces);
    expect(gradeOrTake(cache, 'shared')).toBe('kept');
    expect(gradeOrTake(cache, 'shared')).toBe('grade'); // its uses are spent
    expect(gradeOrTake(cache, 'alone')).toBe('grade'); // no one else asked: it was not kept
    expect(cache.reused).toBe(2);
  });

  it('makes a submission that asks for a lesson being graded wait for it, instead of grading it twice', async () => {
    const cache = new LessonCache();
    for (let i = 0; i < 3; i++) cache.expect('shared');
    const first = cache.lookup('shared');
    const second = cache.lookup('shared'); // graded at the same time
    expect([first.kind, second.kind]).toEqual(['grade', 'wait']);
    let woken = false;
    if (second.kind === 'wait') void second.until.then(() => (woken = true));
    await Promise.resolve();
    expect(woken, 'woken before the first submission was done').toBe(false);
    if (first.kind === 'grade') first.done(pieces);
    await Promise.resolve();
    expect(woken).toBe(true);
    expect(cache.lookup('shared').kind).toBe('kept');
    // Results that cannot be reused (none given): the next one grades the lesson itself.
    cache.expect('stalled');
    cache.expect('stalled');
    const owner = cache.lookup('stalled');
    const waiter = cache.lookup('stalled');
    if (owner.kind === 'grade') owner.done();
    if (waiter.kind === 'wait') await waiter.until;
    expect(cache.lookup('stalled').kind).toBe('grade');
  });

  it('keys a lesson by its exercise files: the same files give the same key, any change another', () => {
    const root = mkdtempSync(join(tmpdir(), 'workbook-cache-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const folder = (name: string, files: Record<string, string>) => {
      mkdirSync(join(root, name, '01-tiny'), { recursive: true });
      for (const [f, text] of Object.entries(files)) writeFileSync(join(root, name, '01-tiny', f), text);
      return join(root, name);
    };
    const a = folder('a', { 'adder.ts': 'x', 'greet.ts': 'y', 'notes.txt': 'ignored' });
    const b = folder('b', { 'adder.ts': 'x', 'greet.ts': 'y' });
    const c = folder('c', { 'adder.ts': 'x', 'greet.ts': 'z' });
    const d = folder('d', { 'adder.ts': 'x' });
    const key = (dir: string, tree: 'proj' | 'hidden' = 'proj', grading = 'k1') =>
      lessonKey(grading, tree, lesson, dir);
    expect(key(a)).toBe(key(b));
    const given = folder('given', { 'adder.ts': "import { x } from './given.ts';\nimport 'node:fs';\n" });
    expect(key(given)).toBeDefined();
    for (const [name, text] of [
      ['up', "import { y } from '../02-count/count.ts';\n"],
      ['dynamic', "const m = await import('../02-count/count.ts');\n"],
      ['reexport', "export * from '/etc/passwd';\n"],
    ])
      expect(key(folder(name!, { 'adder.ts': text! })), name).toBeUndefined();
    expect(new Set([key(a), key(c), key(d), key(a, 'hidden'), key(a, 'proj', 'k2')]).size).toBe(5);
  });
});
