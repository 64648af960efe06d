import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defineCommand } from '../command.ts';
import { CLIError } from '../errors.ts';
import { say, style } from '../output.ts';
import { readState } from '../state.ts';
import { loadWorkbook } from '../workbook.ts';
import { pickOne } from './hint.ts';

export default defineCommand({
  name: 'solution',
  summary: "Show an exercise's reference solution, once your own passes.",
  usage: 'npx workbook solution [exercise] [--force]',
  args: [{ name: 'exercise', description: 'an exercise name; default: your current exercise' }],
  options: {
    force: {
      type: 'boolean',
      description: 'show it even though your exercise does not pass yet (this spoils the exercise)',
    },
  },
  async run({ values, positionals }) {
    const workbook = loadWorkbook();
    const exercise = pickOne(workbook, positionals[0]);
    const done = readState(workbook.root).done.includes(exercise.id);
    if (!done && !values.force) {
      throw new CLIError(
        `The solution to ${exercise.name} opens once your own passes: npx workbook check ${exercise.name}\n` +
          `Comparing after you solve it teaches more than reading it first. Stuck? npx workbook hint ${exercise.name}\n` +
          `(To see it anyway, add --force: it spoils the exercise.)`,
        1,
      );
    }
    const file = join(workbook.solutionsDir, exercise.lesson.slug, exercise.file);
    const code = readFileSync(file, 'utf8');
    if (!done)
      say(
        style.yellow('Spoiler: your exercise does not pass yet. Try to solve it after reading, without copying.'),
        '',
      );
    say(style.bold(`Reference solution: ${relative(workbook.root, file)}`), '', code);
    return 0;
  },
});
