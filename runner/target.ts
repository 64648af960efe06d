// Which tree of exercise files the lesson tests run against.
//
// The tests live only in lessons/ and are never copied. A test imports its
// exercise with a relative path ('./echo-server.ts'); the Vite plugin below
// sends that import to the same path under the chosen target, so one set of
// tests checks the learner's files, the reference solutions, or a submission.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const lessonsDir = join(projectRoot, 'lessons');
export const solutionsDir = join(projectRoot, 'solutions');

/** Settings every run of lesson tests shares (vitest.config.ts and the runner). */
export const lessonTestOptions = {
  // Worker threads start faster than child processes (measured in watch
  // mode: about 200 ms from save to verdict instead of 300 ms), and
  // terminate() stops even a learner's endless loop.
  pool: 'threads' as const,
  // A hung learner program must fail with a message, not stall the run.
  testTimeout: 10_000,
  hookTimeout: 10_000,
  teardownTimeout: 2_000,
};

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
 * A Vite plugin that resolves the relative imports of the tests in
 * `testsDir` inside `targetDir` instead.
 */
export function targetPlugin(targetDir: string, testsDir = lessonsDir): Plugin {
  const root = dirname(testsDir);
  return {
    name: 'workbook-target',
    enforce: 'pre',
    resolveId(source, importer) {
      if (targetDir === testsDir || !importer || !source.startsWith('.')) return null;
      if (!isInside(testsDir, importer) || !importer.endsWith('.test.ts')) return null;
      const wanted = resolve(dirname(importer), source);
      if (!isInside(testsDir, wanted) || wanted.endsWith('.test.ts')) return null;
      const redirected = join(targetDir, relative(testsDir, wanted));
      if (!existsSync(redirected)) {
        throw new Error(`${relative(root, redirected) || redirected} is missing: the tests need this file.`);
      }
      return redirected;
    },
  };
}

function isInside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(sep);
}
