// What a test worker tells the runner about the learner's code, beyond what
// vitest reports: a process.exit() call, the child processes it started,
// the test running in each file. Sent over a BroadcastChannel (worker
// threads share the runner's process), so a message posted just before the
// worker dies still arrives.

/** The channel's name; runner/check/worker-setup.ts posts, runner/check/fault-log.ts listens. */
export const FAULT_CHANNEL = 'workbook-faults';

/** A frame of the learner's code: absolute path, 1-based line and column. */
export interface Place {
  file: string;
  line: number;
  column: number;
}

export type FaultMessage =
  /** The worker is up and about to load its test file (a loop at import stops it after this). */
  | { kind: 'ready'; thread: number }
  /** A test started; the last one per file is the one running when a worker dies. */
  | { kind: 'test'; thread: number; testFile: string; test: string }
  /** The learner's code called process.exit(code). */
  | { kind: 'exit'; testFile: string; test: string | undefined; code: number; stack: string }
  /** The learner's code started a child process (the leader of its own process group). */
  | { kind: 'child'; pid: number }
  | { kind: 'child-exit'; pid: number }
  /** The worker loaded `file` (null: it cannot tell what it loads) while running `testFile`. */
  | { kind: 'module'; testFile: string; file: string | null };

/** The error the worker throws where the learner's code calls process.exit(). */
export const EXIT_ERROR_NAME = 'ProcessExitCalled';
