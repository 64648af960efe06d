import { defineConfig } from 'vitest/config';
import { TARGET_ENV, lessonTestOptions, resolveTargetDir, solutionsDir, targetPlugin } from './runner/target.ts';

// Three projects share one set of lesson tests (see docs/ARCHITECTURE.md):
// - lessons:   the learner's files (or WORKBOOK_TARGET=<dir>, for grading);
// - solutions: the reference solutions (`npm test` runs this one);
// - workbook:  the project's own tests (runner, test kit, lesson contracts).
const lessonTests = ['lessons/*/*.test.ts'];
const shared = lessonTestOptions;

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [targetPlugin(resolveTargetDir(process.env[TARGET_ENV]))],
        test: { ...shared, name: 'lessons', include: lessonTests },
      },
      {
        plugins: [targetPlugin(solutionsDir)],
        test: { ...shared, name: 'solutions', include: lessonTests },
      },
      {
        test: {
          ...shared,
          name: 'workbook',
          include: ['test/**/*.test.ts', 'runner/**/*.test.ts'],
          exclude: ['test/fixtures/**'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
