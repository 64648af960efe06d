// From the pieces a submission's checks reported (and the lesson cache
// kept) to what its files are made of: results.json and the report text,
// in lesson order, as `workbook check` would have printed them for the
// whole submission. An exercise a limit kept from finishing gets an error
// entry that says so.
import { type ResultsJson, joinResults } from '../check/results-json.ts';
import { joinReports } from '../check/report.ts';
import type { Exercise, Lesson } from '../workbook.ts';
import type { End } from './record.ts';
import { type ExercisePiece, pieceOf } from './stream.ts';

/** How one tree's checks of a submission went. */
export interface TreeOutcome {
  /** By exercise id: the exercises that have results. */
  pieces: Map<string, ExercisePiece>;
  end: Exclude<End, 'missing' | 'refused'>;
  /** The exercises whose tests were running when a limit stopped the check. */
  running: string[];
  /** For the instructor: what went wrong. */
  problem?: string;
}

export function joinOutcome(exercises: Exercise[], outcome: TreeOutcome): { results: ResultsJson; report: string } {
  const pieces = exercises.map((e) => outcome.pieces.get(e.id) ?? notRun(e, outcome));
  const oneLesson = new Set(exercises.map((e) => e.lesson.slug)).size === 1;
  return {
    results: joinResults(
      pieces.map((p) => p.results),
      oneLesson,
    ),
    report: joinReports(pieces.map((p) => p.report)),
  };
}

/** The exercises of `lessons`, in order; with `hidden`, only those that have hidden tests. */
export function exercisesOf(lessons: Lesson[], hidden?: Map<string, string[]>): Exercise[] {
  return lessons.flatMap((l) => l.exercises.filter((e) => !hidden || (hidden.get(l.slug) ?? []).includes(e.test)));
}

const STOPPED_BY: Record<TreeOutcome['end'], string> = {
  graded: 'the tests did not run',
  timeout: 'grading stopped at the time limit',
  memory: 'grading stopped at the memory limit',
  crashed: 'the check stopped',
};

/** Where a stopped check was: 'lesson 02-sticky-packets (line-decoder)'. */
export function describeRunning(running: string[]): string {
  if (running.length === 0) return '';
  const lessons = [...new Set(running.map((id) => id.split('/')[0]!))];
  const names = running.map((id) => id.split('/')[1]!);
  return `${lessons.length > 1 ? 'lessons' : 'lesson'} ${lessons.join(', ')} (${names.join(', ')})`;
}

function notRun(exercise: Exercise, outcome: TreeOutcome): ExercisePiece {
  const where = describeRunning(outcome.running);
  const message = `Not graded: ${STOPPED_BY[outcome.end]}${where ? ` while ${where} was running` : ''}.`;
  return pieceOf({ exercise, status: 'error', tests: [], errors: [message], typeWarnings: [], reviewNotes: [], ms: 0 });
}
