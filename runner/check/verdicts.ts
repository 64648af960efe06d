// From one run's raw results (vitest's modules and errors, and what the
// test workers reported) to a verdict per exercise, in the learner's terms.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestError } from '@vitest/utils';
import type { TestCase, TestModule } from 'vitest/node';
import { shown } from '../output.ts';
import { type Exercise, type Workbook, exerciseFile } from '../workbook.ts';
import type { ExitCall } from './fault-log.ts';
import { exitMessage, loadMessage, memoryMessage, stallMessage } from './fault-messages.ts';
import { EXIT_ERROR_NAME } from './faults.ts';
import type { LoopPlace } from './loop-finder.ts';
import { explain, explainUnhandled, whereInside } from './messages.ts';
import { type ExerciseResult, type TestVerdict, worst } from './verdict.ts';

export interface TestRun {
  modules: TestModule[];
  unhandled: TestError[];
  /** Test files whose run was stopped because it made no progress, with where the learner's code looped. */
  stalled: Map<string, LoopPlace | undefined>;
  /** Test files whose worker ran out of memory, with the test that was running. */
  outOfMemory: Map<string, string | undefined>;
  /** Test files in which the learner's code called process.exit(). */
  exits: Map<string, ExitCall>;
}

export const emptyRun = (): TestRun => ({
  modules: [],
  unhandled: [],
  stalled: new Map(),
  outOfMemory: new Map(),
  exits: new Map(),
});

export interface VerdictContext {
  workbook: Workbook;
  targetDir: string;
  /** What each test printed, by test id. */
  logs: Map<string, string[]>;
  stallMs: number;
}

export function verdictsOf(
  exercise: Exercise,
  run: TestRun,
  { workbook, targetDir, logs, stallMs }: VerdictContext,
): Omit<ExerciseResult, 'typeWarnings' | 'reviewNotes' | 'ms'> {
  const testFile = join(workbook.lessonsDir, exercise.lesson.slug, exercise.test);
  const learnerDir = dirname(exerciseFile(exercise, targetDir));
  const module = run.modules.find((m) => m.moduleId === testFile);
  const exit = run.exits.get(testFile);
  const unhandled = run.unhandled.filter(
    (e) => (!e.VITEST_TEST_PATH || e.VITEST_TEST_PATH === testFile) && e.name !== EXIT_ERROR_NAME,
  );
  // An error that escaped, tagged with the test whose code started it, fails that test.
  const byTest = new Map<string, TestError[]>();
  const loose: TestError[] = [];
  for (const e of unhandled) {
    const test = typeof e.WORKBOOK_STARTED_BY === 'string' ? e.WORKBOOK_STARTED_BY : undefined;
    if (test) byTest.set(test, [...(byTest.get(test) ?? []), e]);
    else loose.push(e);
  }
  const place = (p: { file: string; line: number; column: number }): string =>
    `${shown(workbook.root, p.file)}:${p.line}:${p.column}`;
  const errors: string[] = [];
  if (run.stalled.has(testFile)) {
    const loop = run.stalled.get(testFile);
    errors.push(stallMessage(exercise.file, stallMs, loop && { ...loop, where: place(loop) }));
  }
  if (run.outOfMemory.has(testFile)) errors.push(memoryMessage(exercise.file, run.outOfMemory.get(testFile)));
  if (exit) errors.push(exitMessage(exit, exit.place && place(exit.place)));
  for (const e of module?.errors() ?? []) {
    if (exit && e.name === EXIT_ERROR_NAME) continue;
    errors.push(loadMessage(explain(e as TestError), whereInside(e as TestError, learnerDir, workbook.root)));
  }
  errors.push(...explainUnhandled(loose, learnerDir, workbook.root));
  const tests: TestVerdict[] = [];
  for (const test of module?.children.allTests() ?? []) {
    const result = test.result();
    if (result.state === 'pending') continue;
    if (result.state === 'skipped') {
      if (exit)
        tests.push({
          name: test.name,
          task: taskOf(test) ?? exercise.task,
          status: 'error',
          message: `Not run: your code called process.exit(${exit.code}) in an earlier test, which ends the program.`,
          output: '',
        });
      continue;
    }
    const verdict: TestVerdict = {
      name: test.name,
      task: taskOf(test) ?? exercise.task,
      status: result.state === 'passed' ? 'pass' : 'fail',
      output: (logs.get(test.id) ?? []).join(''),
      code: test.location && testCode(testFile, test.location.line),
    };
    const error = result.state === 'failed' ? result.errors[0] : undefined;
    const escaped = byTest.get(test.name);
    const escapedText = escaped && explainUnhandled(escaped, learnerDir, workbook.root, { startedHere: true });
    if (error) {
      verdict.message = explain(error);
      verdict.where = whereInside(error, learnerDir, workbook.root);
      // What escaped usually explains the failure ("never called back" because it threw).
      if (escapedText) verdict.message += `\n${escapedText.join('\n')}`;
    } else if (escapedText) {
      verdict.status = 'fail';
      verdict.message = escapedText.join('\n');
    }
    if (escaped) byTest.delete(test.name);
    tests.push(verdict);
  }
  for (const rest of byTest.values()) errors.push(...explainUnhandled(rest, learnerDir, workbook.root));
  if (!module && errors.length === 0) errors.push('The tests did not run.');
  if (module && tests.length === 0 && errors.length === 0) errors.push(`${exercise.test} has no tests.`);
  const status = errors.length > 0 ? 'error' : worst(tests.map((t) => t.status));
  return { exercise, status, tests, errors };
}

function taskOf(test: TestCase): number | undefined {
  for (let parent = test.parent; parent.type === 'suite'; parent = parent.parent) {
    const match = /^Task (\d+)\b/.exec(parent.name);
    if (match) return Number(match[1]);
  }
  return undefined;
}

/** The source of the test that starts at `line` of `file`: up to the line that closes it, at its indentation. */
function testCode(file: string, line: number): string | undefined {
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const start = lines[line - 1];
  if (start === undefined) return undefined;
  const indent = /^\s*/.exec(start)![0];
  for (let i = line - 1; i < lines.length && i < line + 200; i++) {
    if (i > line - 1 && lines[i]!.startsWith(`${indent}}`)) return lines.slice(line - 1, i + 1).join('\n');
    if (i === line - 1 && /\);?\s*$/.test(start) && !/[{(]\s*$/.test(start)) return start.trim();
  }
  return undefined;
}
