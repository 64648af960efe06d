// Grading runs each lesson's test files in one worker, one after another
// (runner/check/session.ts), to save starting a thread for every file. Each
// file must still start as it would in a fresh worker: its learner modules
// loaded anew, and no timer the file before it left. And a worker never
// carries one lesson's code into the next.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addCountLesson, countLesson, read, runGrade, scratch, solution, submission, writeTree } from './helpers.ts';

const s = scratch();
addCountLesson(s);
const printThread = "console.log('thread ' + threadId);";
writeTree(join(s.workbook, 'lessons', '01-tiny'), {
  'adder.test.ts': `import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { add, calls } from './adder.ts';
describe('Task 1: add', () => {
  it('adds 2 and 3', () => {
    ${printThread}
    expect(add(2, 3)).toBe(5);
    expect(calls()).toBe(1);
  });
});
`,
  'greet.test.ts': `import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { calls } from './adder.ts';
import { greet } from './greet.ts';
describe('Task 2: greet', () => {
  it('greets Ada', () => {
    ${printThread}
    expect(calls()).toBe(0);
    expect(greet('Ada')).toBe('hello, Ada');
  });
  // Long enough for the timer adder.ts started in the file before to fire, had it not been cleared.
  it('sees no timer the file before it left', () => new Promise((resolve) => setTimeout(resolve, 1_600)));
});
`,
});
writeTree(join(s.workbook, 'lessons', '02-count'), {
  'count.test.ts': `import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { count } from './count.ts';
describe('Task 1: count', () => {
  it('counts to 3', () => {
    ${printThread}
    expect(count(3)).toEqual([1, 2, 3]);
  });
});
`,
});

describe('workbook grade, one worker per lesson', { timeout: 300_000 }, () => {
  it('runs a lesson’s files in one worker, each with fresh modules and no timer left from the file before', async () => {
    const dir = submission(
      s,
      'stateful',
      {
        // Module state the next file must not see, and a timer that would fail it.
        'adder.ts': `let count = 0;
export const calls = (): number => count;
export function add(a: number, b: number): number {
  count++;
  setTimeout(() => {
    throw new Error('a timer from the file before fired');
  }, 1_500);
  return a + b;
}
`,
        'greet.ts': solution['greet.ts'],
      },
      { '02-count': countLesson.solution },
    );
    const out = join(s.dir, 'out');
    const run = await runGrade(s, [dir, '--out', out, '--timeout', '120']);
    expect(run.stderr).toBe('');
    const results = JSON.parse(read(join(out, 'students', 'stateful', 'results.json'))) as {
      tests: Array<{ name: string; status: string; message?: string; output?: string }>;
    };
    for (const test of results.tests) expect(test.status, `${test.name}: ${test.message}`).toBe('pass');
    const threadOf = (name: string): string => {
      const output = results.tests.find((t) => t.name.includes(name))?.output ?? '';
      const thread = /thread (\d+)/.exec(output)?.[1];
      expect(thread, `${name} printed its thread: ${output}`).toBeDefined();
      return thread!;
    };
    expect(threadOf('adds 2 and 3')).toBe(threadOf('greets Ada'));
    expect(threadOf('counts to 3')).not.toBe(threadOf('adds 2 and 3'));
  });
});
