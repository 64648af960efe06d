// Settings every run of lesson tests shares (vitest.config.ts and the runner).
import { fileURLToPath } from 'node:url';
import { workbookThreads } from './pool.ts';

export const lessonTestOptions = {
  // Worker threads start faster than child processes (measured in watch
  // mode: about 200 ms from save to verdict instead of 300 ms), and
  // terminate() stops even a learner's endless loop. Each has a memory limit.
  pool: workbookThreads(),
  // Watches what the learner's code does that vitest does not report
  // (process.exit, child processes, late rejections).
  setupFiles: [fileURLToPath(new URL('./worker-setup.ts', import.meta.url))],
  // A hung learner program must fail with a message, not stall the run.
  testTimeout: 10_000,
  hookTimeout: 10_000,
  teardownTimeout: 2_000,
};
