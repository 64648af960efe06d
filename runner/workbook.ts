// The workbook as data: its lessons and exercises, read from
// lessons/*/lesson.json. The one model of it, used by the runner, the
// renderer, the target plugin and `dev check`; nothing else reads
// lesson.json, builds an exercise id or looks for the workbook's root.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIError, WorkbookError } from './errors.ts';
import { LESSON_FOLDER, parseLessonJson } from './lesson-json.ts';

export interface Exercise {
  /** `<lesson folder>/<name>`, e.g. `01-socket-basics/echo-server` (exerciseId): the key in the state file. */
  id: string;
  name: string;
  task: number;
  title: string;
  /** File names inside the lesson folder. */
  file: string;
  test: string;
  /** What the exercise is worth in `workbook grade` (lesson.json's "points", default 1). */
  points: number;
  lesson: Lesson;
}

export interface Lesson {
  /** The folder name, e.g. `01-socket-basics`: also the page's name in the site. */
  slug: string;
  /** The two-digit number, e.g. `01`. */
  number: string;
  title: string;
  summary: string;
  /** Absolute path of the lesson folder. */
  dir: string;
  exercises: Exercise[];
  /** How messages name a file of this lesson: `lessons/01-socket-basics/README.md`. */
  where(file: string): string;
}

export interface Workbook {
  root: string;
  lessonsDir: string;
  solutionsDir: string;
  lessons: Lesson[];
  exercises: Exercise[];
}

/** The id of an exercise: `01-socket-basics/echo-server`. */
export function exerciseId(lessonSlug: string, name: string): string {
  return `${lessonSlug}/${name}`;
}

/**
 * The workbook root that holds `from`: the nearest folder, upwards, with a
 * lessons/ folder and a package.json.
 */
export function findRoot(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'lessons')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The workbook this runner is part of (vitest.config.ts tests its lessons and
 * solutions); the runner's parent folder when that has no lessons/ (a
 * grading copy whose workbook lives elsewhere, named by WORKBOOK_ROOT).
 */
const runnerDir = dirname(fileURLToPath(import.meta.url));
export const installedRoot = findRoot(runnerDir) ?? dirname(runnerDir);

/**
 * Finds the workbook that holds `cwd` (WORKBOOK_ROOT overrides) and reads
 * its lessons. Outside a workbook, says where to run the command.
 */
export function loadWorkbook(cwd = process.cwd()): Workbook {
  const root = process.env.WORKBOOK_ROOT ? resolve(process.env.WORKBOOK_ROOT) : findRoot(cwd);
  if (!root) {
    throw new CLIError(
      `This folder (${cwd}) is not inside the workbook.\n` +
        `Run the command from the workbook's folder, the one that holds lessons/:\n` +
        `  cd ${installedRoot}\n  npm start`,
    );
  }
  return readWorkbook(root);
}

/** Reads the workbook at `root` (its lessons in `lessonsDir`, by default `<root>/lessons`). */
export function readWorkbook(root: string, lessonsDir = join(root, 'lessons')): Workbook {
  let entries;
  try {
    entries = readdirSync(lessonsDir, { withFileTypes: true });
  } catch {
    throw new WorkbookError(`there is no lessons folder at ${lessonsDir}`);
  }
  const lessons = entries
    .filter((d) => d.isDirectory() && LESSON_FOLDER.test(d.name))
    .map((d) => readLesson(root, join(lessonsDir, d.name)))
    .sort((a, b) => a.slug.localeCompare(b.slug));
  return {
    root,
    lessonsDir,
    solutionsDir: join(root, 'solutions'),
    lessons,
    exercises: lessons.flatMap((l) => l.exercises),
  };
}

/** Reads one lesson folder's lesson.json. */
export function readLesson(root: string, dir: string): Lesson {
  const slug = dir.split(sep).pop()!;
  const where = (file: string) => relative(root, join(dir, file)).split(sep).join('/');
  let text: string;
  try {
    text = readFileSync(join(dir, 'lesson.json'), 'utf8');
  } catch (error) {
    throw new WorkbookError(`could not be read: ${(error as Error).message}`, { file: where('lesson.json') });
  }
  const meta = parseLessonJson(text, where('lesson.json'));
  const lesson: Lesson = {
    slug,
    number: LESSON_FOLDER.exec(slug)![1]!,
    title: meta.title,
    summary: meta.summary,
    dir,
    exercises: [],
    where,
  };
  lesson.exercises = meta.exercises.map((e) => ({ ...e, id: exerciseId(slug, e.name), lesson }));
  return lesson;
}

/**
 * Finds the exercises a learner means by `query`: an exercise name
 * (`echo-server`), an id (`01-socket-basics/echo-server`, `01/echo-server`),
 * a lesson (`01`, `1`, `01-socket-basics`) or a file path. Unknown names get
 * the closest names as suggestions.
 */
export function findExercises(workbook: Workbook, query: string): Exercise[] {
  const q = query
    .replace(/\\/g, '/')
    .replace(/^\.\//, '')
    .replace(/^(lessons|solutions)\//, '')
    .replace(/\.(test\.)?ts$/, '');
  const lesson = workbook.lessons.find((l) => l.slug === q || l.number === q || l.number === q.padStart(2, '0'));
  if (lesson) return lesson.exercises;
  const exact = workbook.exercises.filter(
    (e) =>
      e.name === q ||
      e.id === q ||
      `${e.lesson.number}/${e.name}` === q ||
      `${e.lesson.slug}/${e.file.replace(/\.ts$/, '')}` === q,
  );
  if (exact.length > 0) return exact;
  const names = [...workbook.exercises.map((e) => e.name), ...workbook.lessons.map((l) => l.slug)];
  const close = closestNames(q, names);
  throw new CLIError(
    `There is no exercise or lesson called '${query}'.` +
      (close.length > 0 ? `\nDid you mean: ${close.join(', ')}?` : '') +
      `\nRun 'npx workbook list' to see them all.`,
  );
}

/** Names within a small edit distance of `query` (or containing it), closest first. */
export function closestNames(query: string, names: readonly string[], max = 3): string[] {
  const scored = names
    .map((name) => ({ name, d: name.includes(query) || query.includes(name) ? 1 : editDistance(query, name) }))
    .filter(({ name, d }) => d <= Math.max(2, Math.floor(name.length / 3)))
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name));
  return [...new Set(scored.map((s) => s.name))].slice(0, max);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** Where an exercise's file lives in a target tree (lessons/, solutions/ or a submission). */
export function exerciseFile(exercise: Exercise, targetDir: string): string {
  return join(targetDir, exercise.lesson.slug, exercise.file);
}
