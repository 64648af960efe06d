// `workbook grade`: grades each submission in its own sandboxed child
// process, a pool of them at a time, writing each one's files as it
// finishes and skipping those already graded with the same content hash.
// A lesson whose files several submissions share is graded once (cache.ts).
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { projectRoot } from '../target.ts';
import type { Lesson, Workbook } from '../workbook.ts';
import { LessonCache } from './cache.ts';
import { type GradeContext, gradeOne, lessonKeys } from './grade-one.ts';
import { exerciseEntries, gradingKey, pickLessons, readHidden, readPoints, submissionHash } from './inputs.ts';
import { availableIsolation, describeIsolation } from './limits.ts';
import { type Prepared, prepare } from './prepare.ts';
import type { GradeRecord } from './record.ts';
import { createPlan, removePlan } from './sandbox.ts';
import { type RunInfo, readRecords, writeClassFiles, writeRunInfo } from './store.ts';
import { collectSubmissions, shardOf } from './submissions.ts';
import { ClassAnalysis } from './warnings.ts';

export interface GradeOptions {
  inputs: string[];
  out: string;
  lessons: string[];
  jobs: number;
  timeoutMs: number;
  memoryMb: number;
  hiddenDir?: string;
  shard?: { index: number; count: number };
  resume: boolean;
  seed: number;
  assignment: string;
  /** Fixed timestamp for every row; default: the newest exercise file's (or archive's) modification time. */
  timestamp?: string;
}

export interface Progress {
  start(total: number, skipped: number): void;
  done(record: GradeRecord): void;
  /** `reused`: lessons whose results came from another submission with the same files. */
  finish(reused: number): void;
}

export async function grade(workbook: Workbook, options: GradeOptions, progress: Progress): Promise<GradeRecord[]> {
  const lessons = pickLessons(workbook, options.lessons);
  const points = readPoints(lessons);
  const hidden = options.hiddenDir ? readHidden(options.hiddenDir, lessons) : undefined;
  const submissions = shardOf(collectSubmissions(options.inputs), options.shard);
  const isolation = availableIsolation();
  const info: RunInfo = {
    assignment: options.assignment,
    lessons: lessons.map((l) => l.slug),
    seed: options.seed,
    gradingKey: gradingKey(lessons, points, hidden, options),
    isolation: describeIsolation(isolation),
  };
  writeRunInfo(options.out, info);
  const hashes = new Map(submissions.map((s) => [s.id, submissionHash(s, lessons, info.gradingKey)]));
  // Every record in the output folder, kept here: the gradebook is rewritten after each submission.
  const records = new Map(readRecords(options.out).map((r) => [r.student, r]));
  const sorted = () => [...records.values()].sort((a, b) => (a.student < b.student ? -1 : 1));
  const todo = submissions.filter((s) => !options.resume || records.get(s.id)?.hash !== hashes.get(s.id));
  progress.start(todo.length, submissions.length - todo.length);
  const plan = createPlan({
    projectRoot,
    workbook,
    lessons,
    workbookRel: workbookPlace(workbook.root),
    hidden,
    isolation,
    timeoutMs: options.timeoutMs,
    memoryMb: options.memoryMb,
    seed: options.seed,
    masks: [
      workbook.solutionsDir,
      join(workbook.root, '.workbook'),
      options.out,
      ...(options.hiddenDir ? [options.hiddenDir] : []),
      ...submissions.map((s) => s.source),
      ...options.inputs.filter((i) => i.endsWith('.csv')),
    ],
  });
  const ctx: GradeContext = {
    plan,
    cache: new LessonCache(),
    analysis: new ClassAnalysis(plan),
    gradingKey: info.gradingKey,
    points,
    out: options.out,
    assignment: options.assignment,
  };
  const graded: GradeRecord[] = [];
  try {
    // Every submission made ready first (archives unpacked), so the cache knows each lesson's uses.
    const ready: Prepared[] = [];
    for (const s of todo) ready.push(await prepare(s, lessons, plan.base, options.timestamp));
    for (const p of ready) for (const key of lessonKeys(ctx, p)) ctx.cache.expect(key);
    // The most work first: a long submission started last would run alone at the end.
    const work = new Map(ready.map((p) => [p, editedExercises(p, workbook, lessons)]));
    ready.sort((a, b) => work.get(b)! - work.get(a)!);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ready.length) {
        const prepared = ready[next++]!;
        const record = await gradeOne(ctx, prepared, hashes.get(prepared.submission.id)!);
        graded.push(record);
        records.set(record.student, record);
        writeClassFiles(options.out, info, sorted(), false);
        progress.done(record);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, ready.length)) }, worker));
  } finally {
    await ctx.analysis.close();
    removePlan(plan);
  }
  writeClassFiles(options.out, info, sorted());
  progress.finish(ctx.cache.reused);
  return graded;
}

/**
 * How much grading a submission is likely to take: its exercise files that
 * differ from the starters. An untouched starter's tests fail at its first
 * TODO, at once; a written exercise's tests all run.
 */
function editedExercises(prepared: Prepared, workbook: Workbook, lessons: Lesson[]): number {
  if (prepared.kind !== 'ready') return 0;
  return exerciseEntries(prepared.lessonsDir, lessons).filter(({ name, path }) => {
    const starter = join(workbook.lessonsDir, name);
    return !(existsSync(starter) && readFileSync(path).equals(readFileSync(starter)));
  }).length;
}

/** Where the workbook goes in a copy: where it sits in the project (so relative kit imports resolve), or workbook/. */
function workbookPlace(root: string): string {
  const rel = relative(projectRoot, root);
  return rel.startsWith('..') || isAbsolute(rel) ? 'workbook' : rel;
}
