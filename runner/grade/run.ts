// `workbook grade`: grades each submission in its own sandboxed child
// process, a pool of them at a time, writing each one's files as it
// finishes and skipping those already graded with the same content hash.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { ResultsJson } from '../check/results-json.ts';
import { CLIError } from '../errors.ts';
import { projectRoot } from '../target.ts';
import { type Lesson, type Workbook, findExercises } from '../workbook.ts';
import { ArchiveError, isArchive, unpack } from './archive.ts';
import { hashFiles, isDir } from './files.ts';
import { availableIsolation, describeIsolation } from './limits.ts';
import { type End, type GradeRecord, makeRecord, normalize, scoreExercises } from './record.ts';
import { feedbackHtml, feedbackMarkdown, junitXml, endSentence } from './reports.ts';
import { addHiddenTests, createCopy, createPlan, removePlan, runCheck, type SandboxPlan } from './sandbox.ts';
import { type RunInfo, readRecord, writeClassFiles, writeRecord, writeRunInfo, writeStudentFiles } from './store.ts';
import { type Submission, collectSubmissions, findLessonsDir, shardOf } from './submissions.ts';

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
  finish(): void;
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
  const todo = submissions.filter((s) => !options.resume || readRecord(options.out, s.id)?.hash !== hashes.get(s.id));
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
  const graded: GradeRecord[] = [];
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const submission = todo[next++]!;
        const record = await gradeOne(plan, submission, hashes.get(submission.id)!, points, options);
        graded.push(record);
        writeClassFiles(options.out, info, false);
        progress.done(record);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, todo.length)) }, worker));
  } finally {
    removePlan(plan);
  }
  writeClassFiles(options.out, info);
  progress.finish();
  return graded;
}

/** Where the workbook goes in a copy: where it sits in the project (so relative kit imports resolve), or workbook/. */
function workbookPlace(root: string): string {
  const rel = relative(projectRoot, root);
  return rel.startsWith('..') || isAbsolute(rel) ? 'workbook' : rel;
}

function pickLessons(workbook: Workbook, queries: string[]): Lesson[] {
  if (queries.length === 0) return workbook.lessons;
  const wanted = new Set(queries.flatMap((q) => findExercises(workbook, q)).map((e) => e.lesson.slug));
  return workbook.lessons.filter((l) => wanted.has(l.slug));
}

function readPoints(lessons: Lesson[]): Map<string, number> {
  return new Map(lessons.flatMap((lesson) => lesson.exercises.map((e) => [`${lesson.slug}/${e.name}`, e.points])));
}

/** Hidden tests: `<dir>/NN-slug/<exercise's test file name>`; anything else is a usage error. */
function readHidden(dir: string, lessons: Lesson[]): NonNullable<SandboxPlan['hidden']> {
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
    files.set(lesson.slug, found.sort());
  }
  return { dir, files };
}

/** Everything besides the submission that decides a grade: the pristine lessons, hidden tests, points, seed. */
function gradingKey(
  lessons: Lesson[],
  points: Map<string, number>,
  hidden: SandboxPlan['hidden'],
  o: GradeOptions,
): string {
  const entries = lessons.flatMap((l) => {
    const exercise = new Set(l.exercises.map((e) => e.file));
    return readdirSync(l.dir)
      .filter((f) => !exercise.has(f) && statSync(join(l.dir, f)).isFile())
      .map((f) => ({ name: `lessons/${l.slug}/${f}`, path: join(l.dir, f) }));
  });
  for (const [slug, files] of hidden?.files ?? [])
    for (const f of files) entries.push({ name: `hidden/${slug}/${f}`, path: join(hidden!.dir, slug, f) });
  const settings = JSON.stringify([[...points], o.seed, o.timeoutMs, o.memoryMb, o.assignment, o.timestamp ?? null]);
  return hashFiles(entries, settings);
}

function submissionHash(s: Submission, lessons: Lesson[], key: string): string {
  if (s.problem) return createHash('sha256').update(`missing\0${key}`).digest('hex');
  if (!isDir(s.source)) return createHash('sha256').update(key).update(readFileSync(s.source)).digest('hex');
  return hashFiles(exerciseEntries(findLessonsDir(s.source), lessons), key);
}

function exerciseEntries(dir: string, lessons: Lesson[]) {
  return lessons.flatMap((l) =>
    l.exercises
      .map((e) => ({ name: `${l.slug}/${e.file}`, path: join(dir, l.slug, e.file) }))
      .filter((e) => lstatOr(e.path)?.isFile()),
  );
}

async function gradeOne(
  plan: SandboxPlan,
  s: Submission,
  hash: string,
  points: Map<string, number>,
  options: GradeOptions,
): Promise<GradeRecord> {
  const pointsOf = (id: string) => points.get(id) ?? 1;
  const unpacked = join(plan.base, `unpacked-${s.id}`);
  let copy: string | undefined;
  let end: End = 'graded';
  let problem = s.problem;
  let visible: ResultsJson | undefined;
  let hiddenJson: ResultsJson | undefined;
  let report = '';
  let timestamp = options.timestamp ?? '';
  try {
    if (!s.problem) {
      let dir = s.source;
      if (!isDir(s.source) && isArchive(s.source)) {
        timestamp ||= statSync(s.source).mtime.toISOString();
        await unpack(s.source, unpacked);
        dir = unpacked;
      }
      const lessonsDir = findLessonsDir(dir);
      timestamp ||= newestMtime(exerciseEntries(lessonsDir, plan.lessons).map((e) => e.path));
      copy = createCopy(plan, lessonsDir);
      const run = await runCheck(plan, copy, 'proj', ['--out', join(copy, 'out', 'results.json')]);
      report = normalize(run.stdout, copy);
      visible = readJson(join(copy, 'out', 'results.json'), copy);
      if (run.end !== 'exited') end = run.end;
      else if (!visible) {
        end = 'crashed';
        problem = lastLines(normalize(run.stderr, copy)) || `exit code ${run.code}`;
      } else if (plan.hidden) {
        addHiddenTests(plan, copy);
        const secret = await runCheck(plan, copy, 'hidden', ['--json']);
        hiddenJson = onlyHiddenExercises(parseJson(normalize(secret.stdout, copy)), plan);
        if (secret.end !== 'exited') end = secret.end;
        else if (!hiddenJson) {
          end = 'crashed';
          problem = 'the hidden tests could not run';
        }
      }
    } else end = 'missing';
  } catch (error) {
    if (!(error instanceof ArchiveError)) throw error;
    end = 'refused';
    problem = `${s.source.split('/').pop()} ${error.message}`;
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
    if (copy) rmSync(copy, { recursive: true, force: true });
  }
  const exercises = scoreExercises(plan.lessons, pointsOf, visible, end === 'graded' ? hiddenJson : undefined);
  const record = makeRecord(
    {
      student: s.id,
      hash,
      timestamp: timestamp || '1970-01-01T00:00:00.000Z',
      end,
      ...(problem ? { problem } : {}),
      exercises,
    },
    plan.lessons,
  );
  const results: ResultsJson = visible ?? { version: 3, status: 'error', message: endSentence(record), tests: [] };
  writeStudentFiles(options.out, s.id, {
    'results.json': JSON.stringify(results, null, 2) + '\n',
    'junit.xml': junitXml(record, results.tests),
    'feedback.md': feedbackMarkdown(record, options.assignment, report),
    'feedback.html': feedbackHtml(record, options.assignment, report),
  });
  writeRecord(options.out, record); // last: a record means the student's files are complete
  return record;
}

function readJson(file: string, copy: string): ResultsJson | undefined {
  try {
    return parseJson(normalize(readFileSync(file, 'utf8'), copy));
  } catch {
    return undefined;
  }
}

function parseJson(text: string): ResultsJson | undefined {
  try {
    const json = JSON.parse(text) as ResultsJson;
    return json && Array.isArray(json.tests) ? json : undefined;
  } catch {
    return undefined;
  }
}

function newestMtime(files: string[]): string {
  const times = files.map((f) => Math.floor(statSync(f).mtimeMs / 1000) * 1000);
  return times.length ? new Date(Math.max(...times)).toISOString() : '';
}

function lastLines(text: string, n = 5): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

function lstatOr(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The hidden run checks whole lessons, so an exercise without a hidden test
 * file is listed too (as an error: its test file is missing there). Only the
 * exercises that have hidden tests count.
 */
function onlyHiddenExercises(json: ResultsJson | undefined, plan: SandboxPlan): ResultsJson | undefined {
  if (!json || !plan.hidden) return json;
  const ids = new Set(
    plan.lessons.flatMap((lesson) => {
      const files = new Set(plan.hidden!.files.get(lesson.slug) ?? []);
      return lesson.exercises.filter((e) => files.has(e.test)).map((e) => e.id);
    }),
  );
  return { ...json, tests: json.tests.filter((t) => ids.has(t.name.split(' > ')[0]!)) };
}
