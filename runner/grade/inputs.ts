// What a grading run grades with, read once before it starts: the lessons
// asked for, each exercise's points, the hidden tests, the grading key
// (everything besides a submission that decides its grade), and each
// submission's content hash (what --resume compares).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLIError } from '../errors.ts';
import { type Lesson, type Workbook, findExercises } from '../workbook.ts';
import { hashFiles, isDir } from './files.ts';
import { isTaken } from './sandbox.ts';
import type { SandboxPlan } from './sandbox.ts';
import { type Submission, findLessonsDir } from './submissions.ts';

export function pickLessons(workbook: Workbook, queries: string[]): Lesson[] {
  if (queries.length === 0) return workbook.lessons;
  const wanted = new Set(queries.flatMap((q) => findExercises(workbook, q)).map((e) => e.lesson.slug));
  return workbook.lessons.filter((l) => wanted.has(l.slug));
}

export function readPoints(lessons: Lesson[]): Map<string, number> {
  return new Map(lessons.flatMap((lesson) => lesson.exercises.map((e) => [`${lesson.slug}/${e.name}`, e.points])));
}

/** Hidden tests: `<dir>/NN-slug/<exercise's test file name>`; anything else is a usage error. */
export function readHidden(dir: string, lessons: Lesson[]): NonNullable<SandboxPlan['hidden']> {
  if (!isDir(dir))
    throw new CLIError(`--hidden ${dir} is not a folder (it needs the lessons/ layout: NN-slug/*.test.ts).`);
  const files = new Map<string, string[]>();
  for (const lesson of lessons) {
    if (!isDir(join(dir, lesson.slug))) continue;
    const tests = new Set(lesson.exercises.map((e) => e.test));
    const found = readdirSync(join(dir, lesson.slug)).filter((f) => f.endsWith('.test.ts'));
    for (const f of found)
      if (!tests.has(f))
        throw new CLIError(
          `--hidden: ${lesson.slug}/${f} matches no exercise; name a hidden test file after the exercise's test (${[...tests].join(', ')}).`,
        );
    if (found.length > 0) files.set(lesson.slug, found.sort());
  }
  return { dir, files };
}

/** Everything besides the submission that decides a grade: the pristine lessons, hidden tests, points, seed, limits. */
export function gradingKey(
  lessons: Lesson[],
  points: Map<string, number>,
  hidden: SandboxPlan['hidden'],
  settings: { seed: number; timeoutMs: number; memoryMb: number; assignment: string; timestamp?: string },
): string {
  const entries = lessons.flatMap((l) => {
    const exercise = new Set(l.exercises.map((e) => e.file));
    return readdirSync(l.dir)
      .filter((f) => !exercise.has(f) && statSync(join(l.dir, f)).isFile())
      .map((f) => ({ name: `lessons/${l.slug}/${f}`, path: join(l.dir, f) }));
  });
  for (const [slug, files] of hidden?.files ?? [])
    for (const f of files) entries.push({ name: `hidden/${slug}/${f}`, path: join(hidden!.dir, slug, f) });
  const { seed, timeoutMs, memoryMb, assignment, timestamp } = settings;
  return hashFiles(entries, JSON.stringify([[...points], seed, timeoutMs, memoryMb, assignment, timestamp ?? null]));
}

export function submissionHash(s: Submission, lessons: Lesson[], key: string): string {
  if (s.problem) return createHash('sha256').update(`missing\0${key}`).digest('hex');
  if (!isDir(s.source)) return createHash('sha256').update(key).update(readFileSync(s.source)).digest('hex');
  return hashFiles(exerciseEntries(findLessonsDir(s.source), lessons), key);
}

/** The exercise files a submission folder (its NN-slug folders) holds. */
export function exerciseEntries(dir: string, lessons: Lesson[]): Array<{ name: string; path: string }> {
  return lessons.flatMap((l) =>
    l.exercises
      .map((e) => ({ name: `${l.slug}/${e.file}`, path: join(dir, l.slug, e.file) }))
      .filter((e) => isTaken(e.path)),
  );
}
