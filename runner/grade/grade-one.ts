// Grading one submission: its lessons from the lesson cache where the same
// files were graded already, the others by `workbook check` in a fresh
// sandboxed copy (the visible tests, then the hidden ones), then its files
// written: results.json, JUnit XML, feedback, and its record last.
import { rm } from 'node:fs/promises';
import type { ResultsJson } from '../check/results-json.ts';
import type { Lesson } from '../workbook.ts';
import { type TreeOutcome, describeRunning, exercisesOf, joinOutcome } from './assemble.ts';
import { type LessonCache, type Tree, lessonKey } from './cache.ts';
import { type ChildRun, runCheck } from './child.ts';
import type { Prepared } from './prepare.ts';
import { type GradeRecord, makeRecord, normalize, scoreExercises } from './record.ts';
import { endSentence, feedbackHtml, feedbackMarkdown, junitXml } from './reports.ts';
import { type SandboxPlan, addHiddenTests, createCopy, removeCopy } from './sandbox.ts';
import { writeRecord, writeStudentFiles } from './store.ts';
import type { ExercisePiece } from './stream.ts';
import { type ClassAnalysis, withWarnings } from './warnings.ts';

export interface GradeContext {
  plan: SandboxPlan;
  cache: LessonCache;
  /** Type errors and review notes, for the whole class (the checks run without them). */
  analysis: ClassAnalysis;
  gradingKey: string;
  points: Map<string, number>;
  out: string;
  assignment: string;
}

/** The lessons, and trees, that take part in grading `prepared`: what the cache counts before grading starts. */
export function lessonKeys(ctx: GradeContext, prepared: Prepared): Array<string | undefined> {
  if (prepared.kind !== 'ready') return [];
  const { plan } = ctx;
  const hidden = plan.hidden ? plan.lessons.filter((l) => plan.hidden!.files.has(l.slug)) : [];
  return [
    ...plan.lessons.map((l) => lessonKey(ctx.gradingKey, 'proj', l, prepared.lessonsDir)),
    ...hidden.map((l) => lessonKey(ctx.gradingKey, 'hidden', l, prepared.lessonsDir)),
  ];
}

export async function gradeOne(ctx: GradeContext, prepared: Prepared, hash: string): Promise<GradeRecord> {
  const { plan } = ctx;
  const student = prepared.submission.id;
  let visible: TreeOutcome | undefined;
  let hidden: TreeOutcome | undefined;
  if (prepared.kind === 'ready') {
    let copy: Promise<string> | undefined;
    const sandbox = () => (copy ??= createCopy(plan, prepared.lessonsDir));
    try {
      visible = await gradeTree(ctx, 'proj', plan.lessons, prepared.lessonsDir, sandbox);
      if (plan.hidden) {
        const lessons = plan.lessons.filter((l) => plan.hidden!.files.has(l.slug));
        // After a stopped visible run the hidden tests do not run: each hidden file then counts as one failed test.
        hidden =
          visible.end === 'graded'
            ? await gradeTree(ctx, 'hidden', lessons, prepared.lessonsDir, sandbox)
            : { pieces: new Map(), end: visible.end, running: [] };
      }
    } finally {
      if (copy) await removeCopy(await copy);
      if (prepared.cleanup) await rm(prepared.cleanup, { recursive: true, force: true });
    }
  }
  const stopped = [visible, hidden].find((o) => o && o.end !== 'graded');
  const joined = visible && joinOutcome(exercisesOf(plan.lessons), visible);
  const secret = hidden && joinOutcome(exercisesOf(plan.lessons, plan.hidden!.files), hidden).results;
  const running = stopped?.running ?? [];
  const record = makeRecord(
    {
      student,
      hash,
      timestamp: (prepared.kind !== 'missing' && prepared.timestamp) || '1970-01-01T00:00:00.000Z',
      end: prepared.kind === 'ready' ? (stopped?.end ?? 'graded') : prepared.kind,
      ...(prepared.kind === 'missing' ? { problem: prepared.submission.problem } : {}),
      ...(prepared.kind === 'refused' ? { problem: prepared.problem } : {}),
      ...(stopped?.problem ? { problem: stopped.problem } : {}),
      ...(running.length > 0 ? { stoppedDuring: running } : {}),
      exercises: scoreExercises(plan.lessons, (id) => ctx.points.get(id) ?? 1, joined?.results, secret),
    },
    plan.lessons,
  );
  const results: ResultsJson = joined?.results ?? {
    version: 3,
    status: 'error',
    message: endSentence(record),
    tests: [],
  };
  const report = joined?.report ?? '';
  writeStudentFiles(ctx.out, student, {
    'results.json': JSON.stringify(results, null, 2) + '\n',
    'junit.xml': junitXml(record, results.tests),
    'feedback.md': feedbackMarkdown(record, ctx.assignment, report),
    'feedback.html': feedbackHtml(record, ctx.assignment, report),
  });
  writeRecord(ctx.out, record); // last: a record means the student's files are complete
  return record;
}

/**
 * One tree's results for `lessons`: each lesson from the cache, or from a
 * check in the submission's copy (made on first need), or, when another
 * submission is grading the same files now, from that one once it is done.
 * A finished run's lessons are kept for other submissions with the same
 * files; a stopped run keeps what finished before the stop.
 */
async function gradeTree(
  ctx: GradeContext,
  tree: Tree,
  lessons: Lesson[],
  lessonsDir: string,
  sandbox: () => Promise<string>,
): Promise<TreeOutcome> {
  const pieces = new Map<string, ExercisePiece>();
  let stopped: TreeOutcome | undefined;
  // Each round grades what no one else is grading and waits for the rest;
  // a lesson the other submission could not keep is graded in the next round.
  for (let pending = lessons; pending.length > 0; ) {
    const toGrade: Claimed[] = [];
    const waited: Lesson[] = [];
    const waits: Array<Promise<void>> = [];
    for (const lesson of pending) {
      const key = lessonKey(ctx.gradingKey, tree, lesson, lessonsDir);
      const found = ctx.cache.lookup(key);
      if (found.kind === 'kept') for (const piece of found.pieces) pieces.set(piece.id, piece);
      else if (found.kind === 'wait') {
        waited.push(lesson);
        waits.push(found.until);
      } else if (stopped)
        found.done(); // after a stop nothing more runs here
      else toGrade.push({ lesson, key, done: found.done });
    }
    if (toGrade.length > 0) stopped = await runLessons(ctx, tree, toGrade, sandbox, pieces);
    await Promise.all(waits);
    pending = waited;
  }
  return stopped ?? { pieces, end: 'graded', running: [] };
}

/** A lesson this submission grades, and what ends its claim in the cache. */
interface Claimed {
  lesson: Lesson;
  key: string | undefined;
  done: (pieces?: ExercisePiece[]) => void;
}

/**
 * Runs the check on `claimed` lessons in the copy and adds what it reported
 * to `pieces`; returns the outcome when a limit or a crash stopped it. Each
 * claim is ended, with the lesson's results when they can be reused.
 */
async function runLessons(
  ctx: GradeContext,
  tree: Tree,
  claimed: Claimed[],
  sandbox: () => Promise<string>,
  pieces: Map<string, ExercisePiece>,
): Promise<TreeOutcome | undefined> {
  const { plan } = ctx;
  const reusable = new Map<Claimed, ExercisePiece[]>();
  try {
    const copy = await sandbox();
    if (tree === 'hidden') await addHiddenTests(plan, copy);
    const hiddenFiles = tree === 'hidden' ? plan.hidden!.files : undefined;
    const exercises = exercisesOf(
      claimed.map((c) => c.lesson),
      hiddenFiles,
    );
    // The hidden tests' verdicts are never shown: no warnings for them.
    const warnings =
      tree === 'proj'
        ? ctx.analysis.lessons(
            copy,
            claimed.map((c) => c.lesson),
          )
        : undefined;
    const run = await runCheck(plan, copy, tree, exercises, (text) => normalize(text, copy));
    const { stream } = run;
    const finished = run.end === 'exited' && stream.done !== undefined;
    // As in a check, a finished run's verdicts end with the warnings.
    if (finished && warnings) {
      const found = await warnings;
      for (const [id, piece] of stream.final) stream.final.set(id, withWarnings(piece, found.get(id), copy));
    }
    const reported = finished ? stream.final : stream.tested;
    for (const piece of reported.values()) pieces.set(piece.id, piece);
    if (finished && stream.done!.independent) {
      for (const c of claimed) {
        const mine = exercisesOf([c.lesson], hiddenFiles).map((e) => stream.final.get(e.id));
        // The copy's files are read back: what was graded is what the key says (nothing rewrote them).
        if (
          c.key !== undefined &&
          mine.every((p) => p !== undefined) &&
          lessonKey(ctx.gradingKey, tree, c.lesson, `${copy}/submission`) === c.key
        )
          reusable.set(c, mine);
      }
    }
    if (finished) return undefined;
    return stoppedOutcome(tree, run, copy, pieces);
  } finally {
    for (const c of claimed) c.done(reusable.get(c));
  }
}

/** What a run that did not finish gives: the pieces so far, how it ended, and for the instructor, why. */
function stoppedOutcome(tree: Tree, run: ChildRun, copy: string, pieces: Map<string, ExercisePiece>): TreeOutcome {
  const { stream } = run;
  const running = stream.started.filter((id) => !stream.tested.has(id));
  const end = run.end === 'exited' ? 'crashed' : run.end;
  const where = describeRunning(running);
  const problem =
    tree === 'hidden'
      ? `the hidden tests could not finish${where ? ` (${where})` : ''}` // never their output: it could show them
      : end === 'crashed'
        ? lastLines(normalize(run.stderr, copy)) || `exit code ${run.code}`
        : where && `stopped while ${where} was running; what finished before counts`;
  return { pieces, end, running, ...(problem ? { problem } : {}) };
}

function lastLines(text: string, n = 5): string {
  return text.trim().split('\n').slice(-n).join('\n');
}
