// Reads the lessons folder: one `NN-slug/` folder per lesson, in number order,
// each with lesson.json (title, summary, exercises), README.md and hints.md.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { RenderError } from './errors.ts';

export interface Exercise {
  name: string;
  task: number;
  title: string;
  file: string;
  test: string;
}

export interface Lesson {
  /** The folder name, `01-socket-basics`: also the page's name in the site. */
  folder: string;
  /** The lesson number as written in the folder name, `01`. */
  number: string;
  /** Absolute path of the lesson folder. */
  dir: string;
  title: string;
  summary: string;
  exercises: Exercise[];
  readme: string;
  /** The text of hints.md, or undefined when the lesson has none yet. */
  hints: string | undefined;
  /** How errors name a file of this lesson: `lessons/01-socket-basics/README.md`. */
  where(file: string): string;
}

const LESSON_FOLDER = /^(\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Loads every lesson under `lessonsDir`, ordered by the number in its folder name. */
export async function loadLessons(lessonsDir: string): Promise<Lesson[]> {
  const root = resolve(lessonsDir);
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    throw new RenderError(`there is no lessons folder at ${root}`);
  }
  const folders = entries
    .filter((e) => e.isDirectory() && LESSON_FOLDER.test(e.name))
    .map((e) => e.name)
    .sort();
  if (folders.length === 0) throw new RenderError(`${root} holds no lesson folders (named like 01-socket-basics)`);
  return Promise.all(folders.map((folder) => loadLesson(root, folder)));
}

/** How a path is shown in messages: relative to the repository (the lessons folder's parent). */
export function displayPath(lessonsRoot: string, path: string): string {
  return relative(dirname(lessonsRoot), path).split(sep).join('/');
}

async function loadLesson(root: string, folder: string): Promise<Lesson> {
  const dir = join(root, folder);
  const where = (file: string) => displayPath(root, join(dir, file));
  const meta = parseLessonJson(await readText(dir, 'lesson.json', where), where('lesson.json'));
  const readme = await readText(dir, 'README.md', where);
  const hints = existsSync(join(dir, 'hints.md')) ? await readText(dir, 'hints.md', where) : undefined;
  return { folder, number: LESSON_FOLDER.exec(folder)![1]!, dir, ...meta, readme, hints, where };
}

async function readText(dir: string, file: string, where: (f: string) => string): Promise<string> {
  try {
    return (await readFile(join(dir, file), 'utf8')).replace(/\r\n?/g, '\n');
  } catch {
    throw new RenderError(`${file} is missing: every lesson needs one (see docs/AUTHORING.md)`, { file: where(file) });
  }
}

function parseLessonJson(text: string, file: string): Pick<Lesson, 'title' | 'summary' | 'exercises'> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new RenderError(`is not valid JSON (${(err as Error).message})`, { file });
  }
  const bad = (what: string): never => {
    throw new RenderError(`${what} (see "lesson.json" in docs/AUTHORING.md)`, { file });
  };
  if (!isRecord(data)) return bad('must hold a JSON object');
  if (typeof data.title !== 'string' || !data.title.trim()) return bad('needs a "title" string');
  if (typeof data.summary !== 'string') return bad('needs a "summary" string');
  if (!Array.isArray(data.exercises)) return bad('needs an "exercises" array');
  const exercises = data.exercises.map((e: unknown, i: number): Exercise => {
    if (!isRecord(e)) return bad(`exercises[${i}] must be an object`);
    for (const key of ['name', 'title', 'file', 'test'] as const) {
      if (typeof e[key] !== 'string' || !e[key]) bad(`exercises[${i}].${key} must be a non-empty string`);
    }
    if (!Number.isInteger(e.task) || (e.task as number) < 1) bad(`exercises[${i}].task must be a task number (1, 2, ...)`);
    return { name: e.name, task: e.task, title: e.title, file: e.file, test: e.test } as Exercise;
  });
  return { title: data.title, summary: data.summary, exercises };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The lesson's page in the site: `01-socket-basics.html`. */
export function pageOf(lesson: Pick<Lesson, 'folder'>): string {
  return `${basename(lesson.folder)}.html`;
}
