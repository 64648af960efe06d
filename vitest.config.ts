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
          // The project's own tests are not learner code: vitest's plain
          // threads, without the lesson workers' memory limit and fault watch.
          pool: 'threads',
          setupFiles: [],
          include: ['test/**/*.test.ts', 'runner/**/*.test.ts'],
          // Copies of the fixture workbook live under os.tmpdir(); test/.tmp is
          // where older versions put them, and must never be collected.
          exclude: ['test/fixtures/**', 'test/.tmp/**', '**/node_modules/**'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
