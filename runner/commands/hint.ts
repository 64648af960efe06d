import { defineCommand } from '../command.ts';
import { CLIError } from '../errors.ts';
import { readHints } from '../hints.ts';
import { indent, say, style } from '../output.ts';
import { currentExercise, readState, updateState } from '../state.ts';
import { type Exercise, type Workbook, findExercises, loadWorkbook } from '../workbook.ts';

export default defineCommand({
  name: 'hint',
  summary: 'Show the next hint for an exercise, one at a time.',
  usage: 'npx workbook hint [exercise] [--again]',
  args: [{ name: 'exercise', description: 'an exercise name or lesson number; default: your current exercise' }],
  options: { again: { type: 'boolean', description: 'show the hints you have already seen, without a new one' } },
  async run({ values, positionals }) {
    const workbook = loadWorkbook();
    const exercise = pickOne(workbook, positionals[0]);
    const hints = readHints(exercise.lesson).get(exercise.task) ?? [];
    if (hints.length === 0)
      throw new CLIError(
        `Task ${exercise.task} of lesson ${exercise.lesson.number} has no hints yet. Read the task in lessons/${exercise.lesson.slug}/README.md.`,
        1,
      );
    const seen = readState(workbook.root).hints[exercise.id] ?? 0;
    const upTo = showHints(exercise, hints, seen, values.again);
    updateState(workbook.root, (state) => {
      state.hints[exercise.id] = upTo;
    });
    return 0;
  },
});

/**
 * Prints the hints seen so far plus the next one (or, with `again`, only
 * those seen); returns how many the learner has now seen.
 */
export function showHints(exercise: Exercise, hints: string[], seen: number, again: boolean): number {
  const upTo = again ? Math.max(1, seen) : Math.min(seen + 1, hints.length);
  say(
    style.bold(
      `Hints for ${exercise.name} (lesson ${exercise.lesson.number}, task ${exercise.task}: ${exercise.title})`,
    ),
  );
  for (let i = 0; i < upTo; i++)
    say(
      '',
      style.cyan(`Hint ${i + 1} of ${hints.length}`) + (i < upTo - 1 ? style.dim(' (seen before)') : ''),
      indent(hints[i]!, '  '),
    );
  say('');
  if (upTo < hints.length)
    say(style.dim(`Still stuck? Run 'npx workbook hint ${exercise.name}' again for hint ${upTo + 1}.`));
  else
    say(
      style.dim(
        `That was the last hint. Re-read task ${exercise.task} in lessons/${exercise.lesson.slug}/README.md, and check the failing test's sentence in ${exercise.test}.`,
      ),
    );
  return Math.max(seen, upTo);
}

/** One exercise: the one named, the first of a lesson named, or the current one. */
export function pickOne(workbook: Workbook, query: string | undefined): Exercise {
  if (query) {
    const found = findExercises(workbook, query);
    const state = readState(workbook.root);
    // For a lesson, the first exercise not done yet (else the first).
    return found.find((e) => !state.done.includes(e.id)) ?? found[0]!;
  }
  const current = currentExercise(workbook, readState(workbook.root));
  if (!current)
    throw new CLIError('Every exercise passes: name the exercise you mean, e.g. npx workbook hint echo-server');
  return current;
}
