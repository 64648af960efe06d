// Reads the lessons folder: one `NN-slug/` folder per lesson, in number order,
// each with lesson.json (title, summary, exercises), README.md and hints.md.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { type ExerciseMeta, LESSON_FOLDER, LessonJsonError, type LessonMeta, parseLessonJson } from '../lesson-json.ts';
import { RenderError } from './errors.ts';

export type Exercise = ExerciseMeta;

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
  const meta = readLessonJson(await readText(dir, 'lesson.json', where), where('lesson.json'));
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

function readLessonJson(text: string, file: string): LessonMeta {
  try {
    return parseLessonJson(text);
  } catch (err) {
    if (err instanceof LessonJsonError) throw new RenderError(err.message, { file });
    throw err;
  }
}

/** The lesson's page in the site: `01-socket-basics.html`. */
export function pageOf(lesson: Pick<Lesson, 'folder'>): string {
  return `${basename(lesson.folder)}.html`;
}
