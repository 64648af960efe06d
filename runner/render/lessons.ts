// The lessons as the site needs them: the workbook model (runner/workbook.ts)
// plus each lesson's README.md and hints.md, read for rendering.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { WorkbookError } from '../errors.ts';
import { type Lesson as WorkbookLesson, readWorkbook } from '../workbook.ts';

export type { Exercise } from '../workbook.ts';

export interface Lesson extends WorkbookLesson {
  readme: string;
  /** The text of hints.md, or undefined when the lesson has none yet. */
  hints: string | undefined;
}

/** Loads every lesson under `lessonsDir` (the workbook root is its parent), in number order. */
export async function loadLessons(lessonsDir: string): Promise<Lesson[]> {
  const dir = resolve(lessonsDir);
  const workbook = readWorkbook(dirname(dir), dir);
  if (workbook.lessons.length === 0)
    throw new WorkbookError(`${dir} holds no lesson folders (named like 01-socket-basics)`);
  return Promise.all(
    workbook.lessons.map(async (lesson) => {
      const readme = await readText(lesson, 'README.md');
      const hints = existsSync(join(lesson.dir, 'hints.md')) ? await readText(lesson, 'hints.md') : undefined;
      return Object.assign(lesson, { readme, hints });
    }),
  );
}

async function readText(lesson: WorkbookLesson, file: string): Promise<string> {
  try {
    return (await readFile(join(lesson.dir, file), 'utf8')).replace(/\r\n?/g, '\n');
  } catch {
    throw new WorkbookError(`${file} is missing: every lesson needs one (see docs/AUTHORING.md)`, {
      file: lesson.where(file),
    });
  }
}

/** The lesson's page in the site: `01-socket-basics.html`. */
export function pageOf(lesson: Pick<Lesson, 'slug'>): string {
  return `${basename(lesson.slug)}.html`;
}
