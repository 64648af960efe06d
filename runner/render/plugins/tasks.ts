// Under each `## Task N` heading, a line that says which file to edit and
// which command checks it (and, when progress is known, whether it is done).
// Every exercise in lesson.json must have its task heading in README.md.
import type MarkdownIt from 'markdown-it';
import type { PageEnv } from '../env.ts';
import { WorkbookError } from '../../errors.ts';
import { esc } from '../html.ts';

export function tasksPlugin(md: MarkdownIt): void {
  md.core.ruler.after('workbook_headings', 'workbook_tasks', (state) => {
    const env = state.env as PageEnv;
    if (state.inlineMode || env.file !== 'README.md') return;
    const tokens = state.tokens;
    for (const exercise of env.lesson.exercises) {
      const at = tokens.findIndex((t) => t.type === 'heading_open' && t.attrGet('id') === `task-${exercise.task}`);
      if (at < 0) {
        throw new WorkbookError(
          `exercise "${exercise.name}" is task ${exercise.task}, but README.md has no "## Task ${exercise.task}: ${exercise.title}" heading`,
          { file: env.lesson.where('lesson.json') },
        );
      }
      const card = new state.Token('html_block', '', 0);
      card.content = exerciseCard(env, exercise);
      tokens.splice(at + 3, 0, card);
    }
  });
}

function exerciseCard(env: PageEnv, e: PageEnv['lesson']['exercises'][number]): string {
  const done = env.done?.has(e.id);
  const status =
    done === undefined
      ? ''
      : done
        ? '<span class="status done">✓ Done</span> '
        : '<span class="status todo">Not done yet</span> ';
  return (
    `<p class="exercise">${status}Write it in <code>${esc(e.file)}</code>; ` +
    `check it with <code>npx workbook check ${esc(e.name)}</code>. ` +
    `The tests are in <code>${esc(e.test)}</code>.</p>\n`
  );
}
