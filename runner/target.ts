// Which tree of exercise files the lesson tests run against.
//
// The tests live only in lessons/ and are never copied. A test imports its
// exercise with a relative path ('./echo-server.ts'); the Vite plugin below
// sends that import to the same path under the chosen target, so one set of
// tests checks the learner's files, the reference solutions, or a submission.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Plugin } from 'vite';
import { installedRoot, readLesson } from './workbook.ts';

export const projectRoot = installedRoot;
export const lessonsDir = join(projectRoot, 'lessons');
export const solutionsDir = join(projectRoot, 'solutions');

/** Settings every run of lesson tests shares (vitest.config.ts and the runner). */
export { lessonTestOptions } from './check/test-options.ts';

/** The environment variable that carries the target into vitest.config.ts. */
export const TARGET_ENV = 'WORKBOOK_TARGET';

/**
 * Turns a target name into the folder that holds `NN-slug/<file>.ts`:
 * 'lessons' (the default), 'solutions', or a submission folder. A submission
 * may be a whole clone of the workbook (it has a lessons/ folder) or just
 * the lesson folders.
 */
export function resolveTargetDir(target: string | undefined, root = projectRoot, cwd = process.cwd()): string {
  if (!target || target === 'lessons') return join(root, 'lessons');
  if (target === 'solutions') return join(root, 'solutions');
  const dir = resolve(cwd, target);
  const nested = join(dir, 'lessons');
  return existsSync(nested) ? nested : dir;
}

/**
 * A Vite plugin that runs the tests in `testsDir` against `targetDir`:
 * - a test's import of an exercise file goes to the target's copy;
 * - any import of a file the lesson gives complete (not an exercise, not a
 *   test: protocol definitions, a given codec) goes to the copy in
 *   `testsDir`, from the tests and from the target's code alike, so a
 *   submission cannot change what the tests rely on, and both sides share
 *   one module (one class for instanceof).
 */
export function targetPlugin(targetDir: string, testsDir = lessonsDir): Plugin {
  const root = dirname(testsDir);
  const exerciseFiles = new Map<string, Set<string>>();
  const isExercise = (lessonDir: string, file: string): boolean => {
    let files = exerciseFiles.get(lessonDir);
    if (!files) {
      files = readExerciseFiles(root, join(testsDir, lessonDir));
      exerciseFiles.set(lessonDir, files);
    }
    return files.has(file);
  };
  return {
    name: 'workbook-target',
    enforce: 'pre',
    resolveId(source, importer) {
      if (targetDir === testsDir || !importer || !source.startsWith('.')) return null;
      const fromTest = isInside(testsDir, importer) && importer.endsWith('.test.ts');
      const fromTarget = isInside(targetDir, importer);
      if (!fromTest && !fromTarget) return null;
      const wanted = resolve(dirname(importer), source);
      const base = fromTest ? testsDir : targetDir;
      if (!isInside(base, wanted) || wanted.endsWith('.test.ts')) return null;
      const [lessonDir, ...rest] = relative(base, wanted).split(sep);
      if (!lessonDir || rest.length !== 1) return null;
      if (!isExercise(lessonDir, rest[0]!)) {
        const given = join(testsDir, lessonDir, rest[0]!);
        return existsSync(given) ? given : null;
      }
      if (!fromTest) return null;
      const redirected = join(targetDir, lessonDir, rest[0]!);
      if (!existsSync(redirected)) {
        throw new Error(`${relative(root, redirected) || redirected} is missing: the tests need this file.`);
      }
      return redirected;
    },
  };
}

/** The exercise file names listed in a lesson's lesson.json (none if it cannot be read). */
function readExerciseFiles(root: string, lessonDir: string): Set<string> {
  try {
    return new Set(readLesson(root, lessonDir).exercises.map((e) => e.file));
  } catch {
    return new Set();
  }
}

function isInside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(sep);
}
