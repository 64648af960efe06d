import { defineCommand } from '../command.ts';
import { exerciseLine, progressLine } from '../progress.ts';
import { say, style } from '../output.ts';
import { currentExercise, readState } from '../state.ts';
import { loadWorkbook } from '../workbook.ts';

export default defineCommand({
  name: 'list',
  summary: 'List every lesson and exercise with its state (done, current, not started).',
  usage: 'npx workbook list',
  async run() {
    const workbook = loadWorkbook();
    const state = readState(workbook.root);
    const current = currentExercise(workbook, state);
    for (const lesson of workbook.lessons) {
      say('', style.bold(`Lesson ${lesson.number}: ${lesson.title}`));
      for (const exercise of lesson.exercises) say(exerciseLine(exercise, state, current));
    }
    say('', progressLine(workbook, state));
    if (!current && workbook.exercises.length > 0) say(style.green('Every exercise passes. Well done!'));
    return 0;
  },
});
