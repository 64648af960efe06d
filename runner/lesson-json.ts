// A lesson's lesson.json, read and checked in one place (format:
// docs/AUTHORING.md). Only the workbook model (workbook.ts) calls it.
import { WorkbookError } from './errors.ts';

/** Lesson folders are named `NN-slug`: two digits, then lower-case words joined by '-'. */
export const LESSON_FOLDER = /^(\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface ExerciseMeta {
  name: string;
  task: number;
  title: string;
  file: string;
  test: string;
  /** What the exercise is worth in `workbook grade` (default 1), shared by its tests. */
  points: number;
}

export interface LessonMeta {
  title: string;
  summary: string;
  exercises: ExerciseMeta[];
}

/** Parses and checks the text of a lesson.json; `file` names it in the WorkbookError that says what to fix. */
export function parseLessonJson(text: string, file: string): LessonMeta {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new WorkbookError(`is not valid JSON (${(err as Error).message})`, { file });
  }
  const bad = (what: string): never => {
    throw new WorkbookError(`${what} (see "lesson.json" in docs/AUTHORING.md)`, { file });
  };
  if (!isRecord(data)) return bad('must hold a JSON object');
  if (typeof data.title !== 'string' || !data.title.trim()) return bad('needs a "title" string');
  if (typeof data.summary !== 'string') return bad('needs a "summary" string');
  if (!Array.isArray(data.exercises)) return bad('needs an "exercises" array');
  const exercises = data.exercises.map((e: unknown, i: number): ExerciseMeta => {
    if (!isRecord(e)) return bad(`exercises[${i}] must be an object`);
    for (const key of ['name', 'title', 'file', 'test'] as const) {
      if (typeof e[key] !== 'string' || !e[key]) bad(`exercises[${i}].${key} must be a non-empty string`);
    }
    if (!Number.isInteger(e.task) || (e.task as number) < 1)
      bad(`exercises[${i}].task must be a task number (1, 2, ...)`);
    if (e.points !== undefined && !(typeof e.points === 'number' && Number.isFinite(e.points) && e.points >= 0))
      bad(`exercises[${i}].points must be a number of points, 0 or more`);
    return {
      name: e.name as string,
      task: e.task as number,
      title: e.title as string,
      file: e.file as string,
      test: e.test as string,
      points: (e.points as number | undefined) ?? 1,
    };
  });
  return { title: data.title, summary: data.summary, exercises };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
