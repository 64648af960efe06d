import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { defineCommand } from '../command.ts';
import { CLIError } from '../errors.ts';
import { say } from '../output.ts';
import { updateState } from '../state.ts';
import { type Exercise, type Workbook, findExercises, loadWorkbook } from '../workbook.ts';

export default defineCommand({
  name: 'reset',
  summary: 'Restore the starter file of an exercise (your changes to it are lost).',
  usage: 'npx workbook reset <exercise> [--yes]',
  args: [
    { name: 'exercise', description: 'the exercise name, e.g. echo-server (a whole lesson is not reset at once)' },
  ],
  options: { yes: { type: 'boolean', description: 'do not ask for confirmation' } },
  footer: `The starter comes from the workbook's original commit (git), so git must be available.`,
  async run({ values, positionals }) {
    const workbook = loadWorkbook();
    if (!positionals[0]) throw new CLIError('Name the exercise to reset, e.g. npx workbook reset echo-server');
    const found = findExercises(workbook, positionals[0]);
    if (found.length !== 1)
      throw new CLIError(
        `'${positionals[0]}' is a lesson; reset one exercise at a time: ${found.map((e) => e.name).join(', ')}`,
      );
    const exercise = found[0]!;
    const file = join(workbook.lessonsDir, exercise.lesson.slug, exercise.file);
    const shownPath = relative(workbook.root, file);
    const starter = originalStarter(workbook, exercise);
    if (
      !values.yes &&
      !(await confirm(`Replace ${shownPath} with its starter? Your changes to it will be lost. [y/N] `))
    ) {
      say('Nothing was changed.');
      return 1;
    }
    writeFileSync(file, starter);
    updateState(workbook.root, (state) => {
      state.done = state.done.filter((id) => id !== exercise.id);
    });
    say(`${shownPath} is back to its starter.`);
    return 0;
  },
});

/**
 * The starter as the workbook shipped it: the file at the commit this
 * clone shares with its upstream (or HEAD when there is no upstream).
 */
function originalStarter(workbook: Workbook, exercise: Exercise): string {
  const path = `lessons/${exercise.lesson.slug}/${exercise.file}`;
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: workbook.root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  let base = 'HEAD';
  try {
    base = git('merge-base', 'HEAD', '@{upstream}').trim();
  } catch {
    // No upstream: HEAD is the best we know.
  }
  try {
    return git('show', `${base}:${path}`);
  } catch {
    throw new CLIError(
      `Could not read the original ${path} from git. Is this a git clone of the workbook? (Restoring needs git.)`,
      1,
    );
  }
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY)
    throw new CLIError('reset asks for confirmation, but there is no terminal to ask in: add --yes to confirm.');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
