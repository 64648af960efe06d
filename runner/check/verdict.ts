// What a check found, in the learner's terms. Built from vitest's results,
// read by the human report, results.json and the grader.
import type { Exercise } from '../workbook.ts';

export type Status = 'pass' | 'fail' | 'error';

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  message: string;
  /** The source line and a caret under the column. */
  frame?: string;
}

export interface TestVerdict {
  /** The test's sentence: 'sends back the bytes a client sends'. */
  name: string;
  /** The task number, from the enclosing `describe('Task N: ...')`. */
  task: number | null;
  status: Status;
  /** What went wrong, for the learner; absent on a pass. */
  message?: string;
  /** Where in the learner's file it went wrong, when known: 'echo-server.ts:16:9'. */
  where?: string;
  /** What the learner's code printed during the test. */
  output: string;
  /** The test's source, from its `it(` to its end (results.json's test_code). */
  code?: string;
}

export interface ExerciseResult {
  exercise: Exercise;
  status: Status;
  tests: TestVerdict[];
  /** Problems outside any one test: a syntax error, a failed import, an error nothing handled. */
  errors: string[];
  syntaxError?: Diagnostic;
  typeWarnings: Diagnostic[];
  /** What a reviewer would flag that the tests cannot catch (runner/review). */
  reviewNotes: Diagnostic[];
  ms: number;
}

/** Overall status: error beats fail beats pass. */
export function worst(statuses: Iterable<Status>): Status {
  let result: Status = 'pass';
  for (const s of statuses) {
    if (s === 'error') return 'error';
    if (s === 'fail') result = 'fail';
  }
  return result;
}
