// A syntax check of the learner's file before any test runs: a parse error
// is shown with file, line and column, instead of as every test failing.
// esbuild parses TypeScript in a millisecond or two, so this costs nothing.
import { readFile } from 'node:fs/promises';
import { shown } from '../output.ts';
import { transform, type TransformFailure } from 'esbuild';
import type { Exercise } from '../workbook.ts';
import type { Diagnostic, ExerciseResult } from './verdict.ts';

/** Returns the first syntax error in `file`, or undefined when it parses. */
export async function findSyntaxError(file: string, root: string): Promise<Diagnostic | undefined> {
  const source = await readFile(file, 'utf8');
  try {
    await transform(source, { loader: 'ts', sourcefile: file, format: 'esm' });
    return undefined;
  } catch (failure) {
    const first = (failure as TransformFailure).errors?.[0];
    if (!first?.location) throw failure;
    const { line, column, lineText } = first.location;
    return {
      file: shown(root, file),
      line,
      column: column + 1,
      message: first.text,
      frame: `${String(line).padStart(4)} | ${lineText}\n     | ${' '.repeat(column)}^`,
    };
  }
}

/** The verdict of an exercise whose file does not parse: no test ran. */
export function syntaxErrorResult(exercise: Exercise, error: Diagnostic, ms: number): ExerciseResult {
  return {
    exercise,
    status: 'error',
    tests: [],
    errors: [],
    syntaxError: error,
    typeWarnings: [],
    reviewNotes: [],
    ms,
  };
}
