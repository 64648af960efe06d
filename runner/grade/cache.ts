// Lessons graded once per run: a lesson whose exercise files are the same
// in several submissions (untouched starters, above all) is graded in the
// first of them, and its results are reused for the others. That gives the
// same files as grading it again, because a lesson is graded on its own
// files: its tests import only its own folder, the submission's files are
// read-only while the tests run, and a run whose verdicts could have
// crossed files (a stall, a worker out of memory, an error tied to no file)
// is not reused. The key is the grading key (tests, hidden tests, points,
// seed, limits) with the lesson and its exercise files' contents.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lesson } from '../workbook.ts';
import { isTaken } from './sandbox.ts';
import type { ExercisePiece } from './stream.ts';

export type Tree = 'proj' | 'hidden';

/** The key of one lesson of one submission (`lessonsDir` holds its NN-slug folders). */
export function lessonKey(gradingKey: string, tree: Tree, lesson: Lesson, lessonsDir: string): string {
  const hash = createHash('sha256').update(`${gradingKey}\0${tree}\0${lesson.slug}`);
  for (const e of lesson.exercises) {
    const file = join(lessonsDir, lesson.slug, e.file);
    hash.update(`\0${e.file}\0`);
    if (isTaken(file)) hash.update('file\0').update(readFileSync(file));
    else hash.update('none');
  }
  return hash.digest('hex');
}

/**
 * Results kept only for keys that more submissions of this run will ask
 * for (counted before grading starts), and dropped after their last use.
 */
export class LessonCache {
  readonly #uses = new Map<string, number>();
  readonly #pieces = new Map<string, ExercisePiece[]>();
  /** How many lessons were taken from the cache instead of graded. */
  reused = 0;

  /** Counts one future use of `key`. */
  expect(key: string): void {
    this.#uses.set(key, (this.#uses.get(key) ?? 0) + 1);
  }

  /** The results for `key`, if kept; counts the use. */
  take(key: string): ExercisePiece[] | undefined {
    const pieces = this.#pieces.get(key);
    this.#used(key);
    if (pieces) this.reused++;
    return pieces;
  }

  /** Keeps the results graded for `key` if another submission will ask for them (take() first). */
  keep(key: string, pieces: ExercisePiece[]): void {
    if ((this.#uses.get(key) ?? 0) > 0) this.#pieces.set(key, pieces);
  }

  #used(key: string): void {
    const left = (this.#uses.get(key) ?? 0) - 1;
    if (left > 0) this.#uses.set(key, left);
    else {
      this.#uses.delete(key);
      this.#pieces.delete(key);
    }
  }
}
