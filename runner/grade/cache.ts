// Lessons graded once per run: a lesson whose exercise files are the same
// in several submissions (untouched starters, above all) is graded in the
// first of them, and its results are reused for the others. That gives the
// same files as grading it again because a lesson is graded on its own
// files: the grading check type-checks one lesson at a time, and the
// submission's files are read-only while its tests run. What could make a
// lesson depend on more is never reused: files that import outside their
// lesson, and a run where verdicts could cross files (a stall, a worker out
// of memory, an error tied to no file, another lesson's file imported at
// run time). The key is the grading key (tests, hidden tests, points, seed,
// limits) with the lesson and its exercise files' contents.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import type { Lesson } from '../workbook.ts';
import { isTaken } from './sandbox.ts';
import type { ExercisePiece } from './stream.ts';

export type Tree = 'proj' | 'hidden';

/**
 * The key of one lesson of one submission (`lessonsDir` holds its NN-slug
 * folders), or undefined when its files name a file outside their lesson
 * (`import ... from '../02-.../x.ts'`): then its results depend on more
 * than its own files, and it is always graded afresh.
 */
export function lessonKey(gradingKey: string, tree: Tree, lesson: Lesson, lessonsDir: string): string | undefined {
  const hash = createHash('sha256').update(`${gradingKey}\0${tree}\0${lesson.slug}`);
  const dir = join(lessonsDir, lesson.slug);
  for (const e of lesson.exercises) {
    const file = join(dir, e.file);
    hash.update(`\0${e.file}\0`);
    if (!isTaken(file)) {
      hash.update('none');
      continue;
    }
    const text = readFileSync(file);
    if (reachesOut(text.toString('utf8'), dir)) return undefined;
    hash.update('file\0').update(text);
  }
  return hash.digest('hex');
}

/** Whether a file in `dir` imports, exports from or requires a path outside `dir` (a package is fine). */
function reachesOut(text: string, dir: string): boolean {
  const { importedFiles, referencedFiles } = ts.preProcessFile(text, true, true);
  return [...importedFiles, ...referencedFiles].some(({ fileName: spec }) => {
    if (!spec.startsWith('.') && !spec.startsWith('/') && !spec.startsWith('file:')) return false;
    const rel = relative(dir, resolve(dir, spec));
    return rel.startsWith('..') || isAbsolute(rel) || rel.includes(sep);
  });
}

/** What the cache says of one lesson's key. */
export type Lookup =
  /** Graded already: these are its results. */
  | { kind: 'kept'; pieces: ExercisePiece[] }
  /** Another submission grades it now: look again once `until` settles. */
  | { kind: 'wait'; until: Promise<void> }
  /** Grade it here; `done` keeps its results (none: they cannot be reused) and wakes those waiting. */
  | { kind: 'grade'; done: (pieces?: ExercisePiece[]) => void };

/**
 * Results kept only for keys that more submissions of this run will ask
 * for (counted before grading starts), and dropped after their last use.
 * A key being graded is claimed in the same step as the lookup that missed
 * it, so two submissions graded at once never grade the same lesson twice:
 * the second waits for the first.
 */
export class LessonCache {
  readonly #uses = new Map<string, number>();
  readonly #pieces = new Map<string, ExercisePiece[]>();
  readonly #grading = new Map<string, Promise<void>>();
  /** How many lessons were taken from the cache instead of graded. */
  reused = 0;

  /** Counts one future use of `key`. */
  expect(key: string | undefined): void {
    if (key === undefined) return;
    this.#uses.set(key, (this.#uses.get(key) ?? 0) + 1);
  }

  /** Whether `key` is graded already, being graded, or to be graded by the caller (then it counts as one use). */
  lookup(key: string | undefined): Lookup {
    if (key === undefined) return { kind: 'grade', done: () => {} };
    const grading = this.#grading.get(key);
    if (grading) return { kind: 'wait', until: grading };
    const pieces = this.#pieces.get(key);
    this.#used(key);
    if (pieces) {
      this.reused++;
      return { kind: 'kept', pieces };
    }
    let wake = (): void => {};
    this.#grading.set(key, new Promise<void>((resolve) => (wake = resolve)));
    return {
      kind: 'grade',
      done: (graded) => {
        if (graded && (this.#uses.get(key) ?? 0) > 0) this.#pieces.set(key, graded);
        this.#grading.delete(key);
        wake();
      },
    };
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
