// Progress lines shared by `list`, the start screen and watch mode.
import { mark, style } from './output.ts';
import type { State } from './state.ts';
import type { Exercise, Workbook } from './workbook.ts';

/** "7 of 24 exercises done  [#####.........] 29%" */
export function progressLine(workbook: Workbook, state: Readonly<State>): string {
  const total = workbook.exercises.length;
  const done = workbook.exercises.filter((e) => state.done.includes(e.id)).length;
  const width = 24;
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  const pct = total === 0 ? 0 : Math.round((done / total) * 100);
  return `${done} of ${total} exercises done  [${style.green('#'.repeat(filled))}${'.'.repeat(width - filled)}] ${pct}%`;
}

/** One line per exercise, marked done / current / not started. */
export function exerciseLine(exercise: Exercise, state: Readonly<State>, current: Exercise | undefined): string {
  const done = state.done.includes(exercise.id);
  const symbol = done ? mark.pass : exercise === current ? style.cyan('→') : style.dim('·');
  const label = done ? 'done' : exercise === current ? 'current' : 'not started';
  const name = exercise.name.padEnd(22);
  return `  ${symbol} ${exercise === current ? style.bold(name) : name} ${style.dim(`task ${exercise.task}`)}  ${exercise.title} ${style.dim(`(${label})`)}`;
}

/** Where to work on an exercise, and how to get help. */
export function exercisePointer(exercise: Exercise): string {
  return [
    `Current exercise: ${style.bold(exercise.name)} (lesson ${exercise.lesson.number}, task ${exercise.task}: ${exercise.title})`,
    `  edit   lessons/${exercise.lesson.slug}/${exercise.file}`,
    `  read   lessons/${exercise.lesson.slug}/README.md, task ${exercise.task}`,
  ].join('\n');
}
