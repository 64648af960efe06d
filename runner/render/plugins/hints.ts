// hints.md, folded into the lesson page: after each task's section, that
// task's hints, one <details> each (one click opens one hint), with the
// anchors `task-N-hints` and `task-N-hint-K`.
//
//   # Hints: Socket basics
//   ## Task 1: A TCP echo server
//   ### Hint 1
//   A nudge...
import type MarkdownIt from 'markdown-it';
import { errorAt, type HintTask, type PageEnv } from '../env.ts';

export function hintsPlugin(md: MarkdownIt): void {
  md.core.ruler.after('workbook_headings', 'workbook_hints', (state) => {
    const env = state.env as PageEnv;
    if (state.inlineMode || env.file !== 'README.md' || env.hints.size === 0) return;
    const tokens = state.tokens;
    const seen = new Set<number>();
    for (let i = tokens.length - 1; i >= 0; i--) {
      const id = tokens[i]!.type === 'heading_open' ? tokens[i]!.attrGet('id') : null;
      const n = id && /^task-(\d+)$/.exec(id) ? Number(id.slice(5)) : undefined;
      if (n === undefined) continue;
      seen.add(n);
      const hints = env.hints.get(n);
      if (!hints) continue;
      let end = i + 3;
      while (end < tokens.length && !(tokens[end]!.type === 'heading_open' && ['h1', 'h2'].includes(tokens[end]!.tag)))
        end++;
      const block = new state.Token('html_block', '', 0);
      block.content = renderHints(md, env, hints);
      tokens.splice(end, 0, block);
    }
    for (const t of env.hints.values()) {
      if (!seen.has(t.task)) {
        throw errorAt(
          { ...env, file: 'hints.md', lineOffset: 0 },
          undefined,
          `hints for task ${t.task}, but README.md has no "## Task ${t.task}: ..." heading`,
          t.line - 1,
        );
      }
    }
  });
}

function renderHints(md: MarkdownIt, env: PageEnv, task: HintTask): string {
  const n = task.task;
  const items = task.hints.map((h) => {
    const id = `task-${n}-hint-${h.number}`;
    if (env.ids.has(id))
      throw errorAt(
        { ...env, file: 'hints.md', lineOffset: 0 },
        undefined,
        `the id "${id}" is already taken in the page`,
        h.line - 2,
      );
    env.ids.add(id);
    const sub: PageEnv = { ...env, file: 'hints.md', lineOffset: h.line - 1 };
    const body = md.render(h.body, sub);
    env.diagrams = sub.diagrams;
    // The anchor sits inside the folded part: a browser that follows a link
    // to it opens the <details> on its own (no script needed).
    return (
      `<details class="hint"><summary><span class="hint-label">Hint ${h.number}</span></summary>` +
      `<div class="hint-body" id="${id}">\n${body}</div></details>\n`
    );
  });
  env.ids.add(`task-${n}-hints`);
  return (
    `<section class="hints" id="task-${n}-hints" aria-label="Hints for task ${n}">\n` +
    `<p class="hints-title">Stuck on task ${n}? Open one hint at a time.</p>\n${items.join('')}</section>\n`
  );
}
