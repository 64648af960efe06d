// How the runner words vitest's errors for a learner.
import { describe, expect, it } from 'vitest';
import type { TestError } from '@vitest/utils';
import { explain as explainError } from '../../runner/check/messages.ts';
import { stableName, toResultsJson } from '../../runner/check/results-json.ts';
import type { ExerciseResult, TestVerdict } from '../../runner/check/verdict.ts';
import type { Exercise } from '../../runner/workbook.ts';

// vitest sends some values (a thrown error as `actual`) as plain objects.
const explain = (error: Record<string, unknown>): string => explainError(error as unknown as TestError);

describe('explain', () => {
  it('shows the TODO of an unwritten starter, whatever the assertion was', () => {
    const error = {
      name: 'AssertionError',
      message: 'expected Error: TODO: write push (task… to be an instance of LineTooLongError',
      actual: { message: 'TODO: write push (task 1 in lessons/02-x/README.md)' },
    };
    expect(explain(error)).toBe('TODO: write push (task 1 in lessons/02-x/README.md)\n(This part is not written yet.)');
  });

  it("keeps a test's own sentence and says a comparison in words", () => {
    const error = {
      name: 'AssertionError',
      message: "your server does not listen for 'error': expected 0 to be greater than 0",
      expected: '0',
      actual: '0',
    };
    expect(explain(error)).toBe("your server does not listen for 'error'\n(it was 0; it must be greater than 0)");
    const queued = {
      name: 'AssertionError',
      message: 'your sender queued too much: expected 4980736 to be less than or equal to 2097152',
      expected: '2097152',
      actual: '4980736',
    };
    expect(explain(queued)).toBe(
      'your sender queued too much\n(it was 4980736; it must be less than or equal to 2097152)',
    );
  });

  it('says that a promise resolved where the test expected it to reject', () => {
    const error = {
      name: 'AssertionError',
      message: 'promise resolved "undefined" instead of rejecting',
      expected: 'Error { "message": "rejected promise" }',
      actual: 'undefined',
    };
    expect(explain(error)).toBe('the promise resolved, but this test expects it to reject (fail with an error)');
  });

  it('drops true/false from a boolean check that has a sentence', () => {
    const error = {
      name: 'AssertionError',
      message:
        'idleMs 0 must throw a RangeError, but it returned a server: expected false to be true // Object.is equality',
      expected: 'true',
      actual: 'false',
    };
    expect(explain(error)).toBe('idleMs 0 must throw a RangeError, but it returned a server');
  });

  it('keeps expected and received where they say something', () => {
    const error = {
      name: 'AssertionError',
      message: "the reply to \"first\": expected [ 'one', 'two' ] to deeply equal [ 'one' ]",
      expected: "[ 'one' ]",
      actual: "[ 'one', 'two' ]",
    };
    expect(explain(error)).toBe("the reply to \"first\"\nexpected: [ 'one' ]\nreceived: [ 'one', 'two' ]");
  });

  it('says what happened instead when an error of another kind was thrown', () => {
    const error = {
      name: 'AssertionError',
      message: 'expected error to be instance of RangeError',
      expected: 'RangeError',
      actual: { name: 'DeadlineError', message: 'the request was still pending within 1 s' },
    };
    expect(explain(error)).toBe(
      'expected error to be instance of RangeError\ninstead, this happened: DeadlineError: the request was still pending within 1 s',
    );
  });

  it('turns a test timeout into a sentence about waiting', () => {
    expect(explain({ name: 'Error', message: 'Test timed out in 10000ms.' })).toMatch(
      /^This test did not finish within 10 s\. Your code may be waiting/,
    );
  });
});

describe('results.json', () => {
  const exercise = (slug: string, name: string) =>
    ({ id: `${slug}/${name}`, name, test: `${name}.test.ts`, lesson: { slug } }) as unknown as Exercise;
  const result = (ex: Exercise, tests: TestVerdict[], errors: string[] = []): ExerciseResult => ({
    exercise: ex,
    status: errors.length > 0 ? 'error' : 'pass',
    tests,
    errors,
    typeWarnings: [],
    reviewNotes: [],
    ms: 1,
  });
  const test = (name: string, task: number): TestVerdict => ({ name, task, status: 'pass', output: '' });

  it('sets task_id only when the results come from one lesson (task numbers restart in each)', () => {
    const one = toResultsJson([result(exercise('01-a', 'x'), [test('t', 2)])]);
    expect(one.tests[0]).toMatchObject({ task_id: 2 });
    const two = toResultsJson([
      result(exercise('01-a', 'x'), [test('t', 1)]),
      result(exercise('02-b', 'y'), [test('u', 1)]),
    ]);
    expect(two.tests.map((t) => t.task_id)).toEqual([undefined, undefined]);
  });

  it('keeps a random seed out of the test name and puts it in the message', () => {
    const json = toResultsJson([
      result(exercise('01-a', 'x'), [
        test('decodes any chunking (fast-check, seed 42; replay with WORKBOOK_SEED=42)', 1),
      ]),
    ]);
    expect(json.tests[0]).toMatchObject({
      name: '01-a/x > decodes any chunking (fast-check)',
      message: '(seed 42; replay with WORKBOOK_SEED=42)',
    });
    expect(stableName('plain name')).toEqual({ name: 'plain name' });
  });

  it('is "error" only when no test ran, and lists an exercise that crashed as an error test', () => {
    const crashed = result(exercise('01-a', 'y'), [], ['The tests of y.ts stopped making progress']);
    expect(toResultsJson([crashed])).toMatchObject({
      status: 'error',
      message: 'The tests of y.ts stopped making progress',
    });
    const mixed = toResultsJson([result(exercise('01-a', 'x'), [test('t', 1)]), crashed]);
    expect(mixed.status).toBe('fail');
    expect(mixed.tests[1]).toEqual({
      name: '01-a/y > y.test.ts',
      status: 'error',
      message: 'The tests of y.ts stopped making progress',
    });
  });
});
