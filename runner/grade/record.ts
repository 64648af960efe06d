// One graded submission as data: what the gradebook, the class report and
// `grade merge` read back (out/records/<id>.json), built from the results
// of the child's `workbook check` runs.
import type { ResultsJson } from '../check/results-json.ts';
import type { Lesson } from '../workbook.ts';

/** How grading a submission ended. */
export type End = 'graded' | 'timeout' | 'memory' | 'crashed' | 'missing' | 'refused';

export interface ExerciseScore {
  id: string;
  lesson: string;
  name: string;
  task: number;
  title: string;
  points: number;
  score: number;
  passed: number;
  total: number;
  hiddenPassed: number;
  hiddenTotal: number;
  /** The first failing visible test ('name: first line of message'), for the class report. */
  firstFailure?: string;
}

export interface GradeRecord {
  student: string;
  /** The content hash of the submission and of everything else that decides its grade. */
  hash: string;
  timestamp: string;
  end: End;
  /** For the instructor: why grading ended early (never a hidden test's text). */
  problem?: string;
  /** The exercises whose tests were running when a limit stopped grading (what finished before counts). */
  stoppedDuring?: string[];
  raw: number;
  max: number;
  lessons: Record<string, { score: number; max: number }>;
  exercises: ExerciseScore[];
}

/** Points per exercise, from lesson.json's optional "points" (default 1). */
export type PointsOf = (exerciseId: string) => number;

/** Per exercise: visible and hidden test counts; the score is the points times the share of tests passed. */
export function scoreExercises(
  lessons: Lesson[],
  pointsOf: PointsOf,
  visible: ResultsJson | undefined,
  hidden: ResultsJson | undefined,
): ExerciseScore[] {
  return lessons.flatMap((lesson) =>
    lesson.exercises.map((e): ExerciseScore => {
      const mine = (json: ResultsJson | undefined) =>
        (json?.tests ?? []).filter((t) => t.name.startsWith(`${e.id} > `));
      const seen = mine(visible);
      const secret = mine(hidden);
      const passed = seen.filter((t) => t.status === 'pass').length;
      const hiddenPassed = secret.filter((t) => t.status === 'pass').length;
      const total = seen.length + secret.length;
      const points = pointsOf(e.id);
      const failing = seen.find((t) => t.status !== 'pass');
      const firstFailure = failing
        ? `${failing.name.slice(e.id.length + 3)}: ${(failing.message ?? failing.status).split('\n')[0]}`
        : seen.length === 0
          ? (visible?.message?.split('\n')[0] ?? 'the tests did not run')
          : undefined;
      return {
        id: e.id,
        lesson: lesson.slug,
        name: e.name,
        task: e.task,
        title: e.title,
        points,
        score: total > 0 ? round((points * (passed + hiddenPassed)) / total) : 0,
        passed,
        total: seen.length,
        hiddenPassed,
        hiddenTotal: secret.length,
        ...(firstFailure ? { firstFailure } : {}),
      };
    }),
  );
}

export function makeRecord(fields: Omit<GradeRecord, 'raw' | 'max' | 'lessons'>, lessons: Lesson[]): GradeRecord {
  const perLesson: GradeRecord['lessons'] = {};
  for (const lesson of lessons) {
    const mine = fields.exercises.filter((e) => e.lesson === lesson.slug);
    perLesson[lesson.slug] = {
      score: round(mine.reduce((s, e) => s + e.score, 0)),
      max: round(mine.reduce((s, e) => s + e.points, 0)),
    };
  }
  return {
    ...fields,
    raw: round(fields.exercises.reduce((s, e) => s + e.score, 0)),
    max: round(fields.exercises.reduce((s, e) => s + e.points, 0)),
    lessons: perLesson,
  };
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * Makes a child's output the same on every run: the copy's random path
 * becomes the learner's own layout (lessons/...), ephemeral ports become
 * <port>.
 */
export function normalize(text: string, copy: string): string {
  return text
    .split(`${copy}/submission/`)
    .join('lessons/')
    .split(`${copy}/`)
    .join('')
    .split(copy)
    .join('.')
    .replace(/\bsubmission\/(\d\d-)/g, 'lessons/$1')
    .replace(/((?:127\.0\.0\.1|localhost|::1|\[::1\]|0\.0\.0\.0)[:.])\d{2,5}\b/g, '$1<port>');
}
