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
import { RenderError } from '../errors.ts';
import { TASK_HEADING } from './headings.ts';

/** Splits hints.md into tasks and hints. `file` names it in errors. */
export function parseHints(text: string, file: string): Map<number, HintTask> {
  const tasks = new Map<number, HintTask>();
  let task: HintTask | undefined;
  let hint: HintTask['hints'][number] | undefined;
  let fence: string | undefined;
  const fail = (line: number, message: string): never => {
    throw new RenderError(message, { file, line });
  };
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const f = /^\s*(`{3,}|~{3,})/.exec(raw);
    if (fence) {
      if (f && f[1]!.startsWith(fence)) fence = undefined;
    } else if (f) {
      fence = f[1]!;
    } else if (/^#\s/.test(raw)) {
      if (task) fail(line, 'a "# " title belongs at the top of hints.md only');
      return;
    } else if (/^##\s/.test(raw)) {
      const m = TASK_HEADING.exec(raw.replace(/^##\s+/, ''));
      if (!m) return fail(line, `"${raw}" should be "## Task N: <title>", like the task in README.md`);
      const n = Number(m[1]);
      if (tasks.has(n)) fail(line, `task ${n} has a second "## Task ${n}" section`);
      task = { task: n, title: raw.replace(/^##\s+/, '').slice(m[0].length).trim(), line, hints: [] };
      tasks.set(n, task);
      hint = undefined;
      return;
    } else if (/^###\s/.test(raw)) {
      const m = /^###\s+Hint\s+(\d+)\s*$/.exec(raw);
      if (!m) return fail(line, `"${raw}" should be "### Hint N"`);
      if (!task) return fail(line, 'a hint before any "## Task N: ..." section');
      const number = Number(m[1]);
      if (task.hints.some((h) => h.number === number)) fail(line, `task ${task.task} has two "### Hint ${number}"`);
      hint = { number, body: '', line: line + 1 };
      task.hints.push(hint);
      return;
    }
    if (hint) hint.body += `${raw}\n`;
    else if (raw.trim() !== '') fail(line, 'text outside a hint: put it under a "### Hint N" heading');
  });
  for (const t of tasks.values()) {
    if (t.hints.length === 0) fail(t.line, `task ${t.task} has no hints: add "### Hint 1" below it`);
    for (const h of t.hints) if (h.body.trim() === '') fail(h.line - 1, `hint ${h.number} of task ${t.task} is empty`);
  }
  return tasks;
}

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
      while (end < tokens.length && !(tokens[end]!.type === 'heading_open' && ['h1', 'h2'].includes(tokens[end]!.tag))) end++;
      const block = new state.Token('html_block', '', 0);
      block.content = renderHints(md, env, hints);
      tokens.splice(end, 0, block);
    }
    for (const t of env.hints.values()) {
      if (!seen.has(t.task)) {
        throw errorAt({ ...env, file: 'hints.md', lineOffset: 0 }, undefined, `hints for task ${t.task}, but README.md has no "## Task ${t.task}: ..." heading`, t.line - 1);
      }
    }
  });
}

function renderHints(md: MarkdownIt, env: PageEnv, task: HintTask): string {
  const n = task.task;
  const items = task.hints.map((h) => {
    const id = `task-${n}-hint-${h.number}`;
    if (env.ids.has(id)) throw errorAt({ ...env, file: 'hints.md', lineOffset: 0 }, undefined, `the id "${id}" is already taken in the page`, h.line - 2);
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
