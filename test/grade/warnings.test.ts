// Type errors and review notes in grading: the grader works them out for
// the whole class (runner/grade/warnings.ts), and they end each exercise's
// feedback as `workbook check` prints them. TypeScript reads only the
// submission's copy and the type definitions: even where the machine
// cannot hide the instructor's files from the check, a type error cannot
// show the reference solution's types.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { read, runGrade, scratch, solution, submission } from './helpers.ts';

const s = scratch();
const instructorAdder = join(s.workbook, 'solutions', '01-tiny', 'adder.ts');

describe('workbook grade warnings', { timeout: 300_000 }, () => {
  it('shows type errors and review notes as check does, and none that reads the instructor’s files', async () => {
    const typed = submission(s, 'typed', {
      'adder.ts': `${solution['adder.ts']}export const wrong: number = 'not a number';\n`,
      'greet.ts': `${solution['greet.ts']}export function onData(socket: import('node:net').Socket): void {\n  socket.on('data', (chunk) => console.log(chunk.readUInt32BE(0)));\n}\n`,
    });
    // A type-only import, gone when the code runs: only the type check could follow it.
    const peeking = submission(s, 'peeking', {
      'adder.ts': `${solution['adder.ts']}export const theirs: string = null as unknown as typeof import(${JSON.stringify(instructorAdder)}).add;\n`,
      'greet.ts': solution['greet.ts'],
    });
    const out = join(s.dir, 'out');
    // Without namespaces the check itself could read the solution: the grader's analysis must not.
    const run = await runGrade(s, [typed, peeking, '--out', out, '--timeout', '120'], {
      WORKBOOK_GRADE_ISOLATION: 'process',
    });
    expect(run.stderr).toBe('');
    const feedback = read(join(out, 'students', 'typed', 'feedback.md'));
    expect(feedback).toContain(
      [
        "  ! Type error (a warning: tests still run) in lessons/01-tiny/adder.ts:4:14: Type 'string' is not assignable to type 'number'.",
        "       4 | export const wrong: number = 'not a number';",
        '         |              ^',
      ].join('\n'),
    );
    expect(feedback).toContain(
      "  ! Review note (the tests cannot catch this) in lessons/01-tiny/greet.ts:6:44: A 'data' chunk is not one message",
    );
    // Both exercises pass: warnings never change a score.
    expect(JSON.parse(read(join(out, 'students', 'typed', 'results.json')))).toMatchObject({ status: 'pass' });
    const peeked = read(join(out, 'students', 'peeking', 'feedback.md'));
    expect(peeked).toContain(`Cannot find module '${instructorAdder}'`);
    expect(peeked).not.toContain('(a: number, b: number) => number');
  });
});
