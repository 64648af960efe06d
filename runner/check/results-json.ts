// exercism's test-runner results.json, version 3:
// https://github.com/exercism/docs/blob/main/building/tooling/test-runners/interface.md
import { plain } from '../output.ts';
import type { ExerciseResult, Status } from './verdict.ts';
import { worst } from './verdict.ts';

export interface ResultsJson {
  version: 3;
  status: Status;
  message?: string;
  tests: Array<{ name: string; status: Status; message?: string; output?: string; task_id?: number }>;
}

const OUTPUT_LIMIT = 500; // exercism truncates a test's output at 500 characters

export function toResultsJson(results: ExerciseResult[]): ResultsJson {
  const status = worst(results.map((r) => r.status));
  const problems = results.flatMap((r) => [
    ...(r.syntaxError
      ? [`${r.syntaxError.file}:${r.syntaxError.line}:${r.syntaxError.column}: ${r.syntaxError.message}`]
      : []),
    ...r.errors,
  ]);
  const json: ResultsJson = {
    version: 3,
    status,
    tests: results.flatMap((r) =>
      r.tests.map((t) => ({
        name: `${r.exercise.id} > ${t.name}`,
        status: t.status,
        ...(t.message ? { message: plain(t.message + (t.where ? `\n(at ${t.where})` : '')) } : {}),
        ...(t.output ? { output: truncate(t.output) } : {}),
        ...(t.task !== null ? { task_id: t.task } : {}),
      })),
    ),
  };
  // exercism: "message" is required when the status is error, and says what stopped the tests.
  if (status === 'error') json.message = plain(problems.join('\n\n') || 'The tests could not run.');
  return json;
}

function truncate(text: string): string {
  return text.length > OUTPUT_LIMIT
    ? `${text.slice(0, OUTPUT_LIMIT - 50)}\n[output truncated at ${OUTPUT_LIMIT} characters]`
    : text;
}
