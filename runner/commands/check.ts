import { writeFileSync } from 'node:fs';
import { defineCommand } from '../command.ts';
import { joinReports, reportPart } from '../check/report.ts';
import { toResultsJson } from '../check/results-json.ts';
import { CheckSession } from '../check/session.ts';
import type { ExerciseResult } from '../check/verdict.ts';
import { CLIError } from '../errors.ts';
import { streamCheck } from '../grade/stream.ts';
import { say, sayAll, style } from '../output.ts';
import { currentExercise, readState, updateState } from '../state.ts';
import { resolveTargetDir } from '../target.ts';
import { type Exercise, type Workbook, findExercises, loadWorkbook } from '../workbook.ts';

export default defineCommand({
  name: 'check',
  summary: "Run an exercise's tests against your code and say what passes and what to do next.",
  usage: 'npx workbook check [exercise | lesson ...] [options]',
  args: [
    {
      name: 'exercise',
      description: 'an exercise name (echo-server) or a lesson number (01); default: your current exercise',
    },
  ],
  options: {
    all: { type: 'boolean', description: 'check every exercise' },
    json: { type: 'boolean', description: "print exercism's results.json (version 3) instead of the report" },
    grade: {
      type: 'boolean',
      description:
        'grading mode: print results.json (or write it with --out) and exit 0 whenever the runner itself worked, whatever the tests say',
    },
    out: { type: 'string', valueName: 'FILE', description: 'also write results.json to FILE' },
    target: {
      type: 'string',
      valueName: 'T',
      description: "test another tree: 'solutions', or a submission folder (default: your lessons/)",
    },
    'no-types': { type: 'boolean', description: 'skip the type check' },
    stream: {
      type: 'string',
      valueName: 'TOKEN_FILE',
      description:
        "for 'workbook grade': read a token from TOKEN_FILE (then deleted) and write each exercise's results as a line of JSON after it, as each finishes",
    },
  },
  footer:
    'Exit code: 0 when every test passes, 1 when one fails, 2 for a usage error (with --grade: 0 when results.json was made, whatever it says).',
  async run({ values, positionals }) {
    const workbook = loadWorkbook();
    const exercises = pickExercises(workbook, positionals, values.all);
    const target = values.target;
    if (values.stream !== undefined)
      return streamCheck(workbook, exercises, { target, typecheck: !values['no-types'], tokenFile: values.stream });
    const grading = values.grade;
    const results = await checkOnce(workbook, exercises, {
      target,
      typecheck: !values['no-types'] && !values.json && !grading,
    });
    const json = toResultsJson(results);
    if (values.out !== undefined) writeFileSync(values.out, JSON.stringify(json, null, 2) + '\n');
    if (values.json || (grading && values.out === undefined)) await sayAll(JSON.stringify(json, null, 2));
    else {
      reportResults(results);
      if (json.status === 'pass' && !target) sayWhatNext(workbook);
    }
    if (grading) return 0;
    return json.status === 'pass' ? 0 : 1;
  },
});

/** The exercises named by `queries`, all of them, or the current one. */
export function pickExercises(workbook: Workbook, queries: string[], all: boolean): Exercise[] {
  if (all) return workbook.exercises;
  if (queries.length > 0) return [...new Set(queries.flatMap((q) => findExercises(workbook, q)))];
  const current = currentExercise(workbook, readState(workbook.root));
  if (!current)
    throw new CLIError('Every exercise already passes. Name one to check it again: npx workbook check echo-server', 0);
  return [current];
}

/** Runs the checks in a fresh session and closes it; records passes when checking the learner's own files. */
export async function checkOnce(
  workbook: Workbook,
  exercises: Exercise[],
  options: { target?: string; typecheck?: boolean },
): Promise<ExerciseResult[]> {
  const targetDir = resolveTargetDir(options.target, workbook.root);
  const session = new CheckSession({ workbook, targetDir, typecheck: options.typecheck });
  try {
    const results = await session.run(exercises);
    if (targetDir === workbook.lessonsDir) recordResults(workbook, results);
    return results;
  } finally {
    await session.close();
  }
}

/** Marks passing exercises done (and failing ones not done) in the state file. */
export function recordResults(workbook: Workbook, results: ExerciseResult[]): void {
  updateState(workbook.root, (state) => {
    for (const r of results) {
      state.done = state.done.filter((id) => id !== r.exercise.id);
      if (r.status === 'pass') state.done.push(r.exercise.id);
    }
  });
}

/** After a pass: the next exercise to do, or the end of the workbook. */
function sayWhatNext(workbook: Workbook): void {
  const next = currentExercise(workbook, readState(workbook.root));
  if (next)
    say(
      `Next: ${style.bold(next.name)} (lesson ${next.lesson.number}, task ${next.task}). Run ${style.cyan(`npx workbook check ${next.name}`)}, or ${style.cyan('npm start')} to re-check on every save.`,
    );
  else say(style.green('Every exercise passes. Well done!'));
}

export function reportResults(results: ExerciseResult[]): void {
  process.stdout.write(joinReports(results.map(reportPart)));
}
