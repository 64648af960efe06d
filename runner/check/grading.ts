// What a check does differently for `workbook grade` (CheckSession's
// `grading` option): the test files run in path order, lesson by lesson,
// so what a time limit cuts off is the later lessons; each lesson's files
// are type-checked on their own, so one lesson's warnings never depend on
// another's files; and each exercise's start and verdict are told as they
// happen, so a run stopped by a limit keeps what finished.
import { dirname } from 'node:path';
import type { TestError } from '@vitest/utils';
import { BaseSequencer, type Reporter, type TestSpecification } from 'vitest/node';
import type { Exercise } from '../workbook.ts';
import type { Analysis, Analyzer } from './analyzer.ts';
import type { ExitCall } from './fault-log.ts';
import type { ExerciseResult } from './verdict.ts';
import { type VerdictContext, emptyRun, verdictsOf } from './verdicts.ts';

/** What a run tells as it goes: the verdict of an exercise as its file ends has no warnings yet, and may still change. */
export interface ExerciseProgress {
  started(exercise: Exercise): void;
  tested(result: ExerciseResult): void;
}

/** What the reporter reads of the run under way. */
export interface RunView {
  exerciseOf(moduleId: string): Exercise | undefined;
  unhandled(): TestError[];
  exits(): Map<string, ExitCall>;
  context(): VerdictContext;
}

export function gradingReporter(
  progress: ExerciseProgress,
  run: RunView,
): Pick<Reporter, 'onTestModuleQueued' | 'onTestModuleEnd'> {
  return {
    // Sent by the worker as it begins the file, before its import (where a loop stops it).
    onTestModuleQueued: (module) => {
      const exercise = run.exerciseOf(module.moduleId);
      if (exercise) progress.started(exercise);
    },
    onTestModuleEnd: (module) => {
      const exercise = run.exerciseOf(module.moduleId);
      if (!exercise) return;
      const sofar = { ...emptyRun(), modules: [module], unhandled: run.unhandled(), exits: run.exits() };
      progress.tested({ ...verdictsOf(exercise, sofar, run.context()), typeWarnings: [], reviewNotes: [], ms: 0 });
    },
  };
}

/** Test files grouped by lesson folder, in the order given. */
export function byLesson(testFiles: string[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const file of testFiles) groups.set(dirname(file), [...(groups.get(dirname(file)) ?? []), file]);
  return [...groups.values()];
}

/** Test files in path order. */
export class PathOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => (a.moduleId < b.moduleId ? -1 : a.moduleId > b.moduleId ? 1 : 0));
  }
}

/** Type errors and review notes, one lesson at a time. */
export async function analyseByLesson(analyzer: Analyzer, exercises: Exercise[], files: string[]): Promise<Analysis> {
  const byLesson = new Map<string, string[]>();
  exercises.forEach((e, i) => byLesson.set(e.lesson.slug, [...(byLesson.get(e.lesson.slug) ?? []), files[i]!]));
  const all: Analysis = { types: [], notes: [] };
  for (const group of byLesson.values()) {
    const { types, notes } = await analyzer.check(group);
    all.types.push(...types);
    all.notes.push(...notes);
  }
  return all;
}
