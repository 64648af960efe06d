// Heading anchors and the table of contents. `## Task N: ...` gets the id
// `task-N` (the runner's messages link to it); other headings get GitHub's
// slug (`## Wire format` -> `wire-format`), made unique in the page.
import type MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import { errorAt, uniqueId, type PageEnv } from '../env.ts';
import { TASK_HEADING } from '../../hints.ts';
import { esc, slugify } from '../html.ts';

export function headingsPlugin(md: MarkdownIt): void {
  md.core.ruler.after('inline', 'workbook_headings', (state) => {
    const env = state.env as PageEnv;
    const tokens = state.tokens;
    for (let i = 0; i < tokens.length; i++) {
      const open = tokens[i]!;
      if (open.type !== 'heading_open') continue;
      const inline = tokens[i + 1]!;
      const text = plainText(inline.children ?? []);
      const level = Number(open.tag.slice(1));
      const task = level === 2 && env.file === 'README.md' ? TASK_HEADING.exec(text) : null;
      let id: string;
      if (task) {
        id = `task-${Number(task[1])}`;
        if (env.ids.has(id))
          throw errorAt(env, open, `a second "## Task ${Number(task[1])}" heading: task numbers must be unique`);
        env.ids.add(id);
      } else {
        id = uniqueId(env, slugify(text));
      }
      open.attrSet('id', id);
      if (env.file === 'README.md' && (level === 2 || level === 3)) {
        const html = md.renderer.renderInline(inline.children ?? [], md.options, env);
        env.toc.push({ level, id, html, ...(task ? { task: Number(task[1]) } : {}) });
      }
    }
  });
  md.renderer.rules.heading_close = (tokens, idx) => {
    const id = tokens[idx - 2]?.attrGet('id');
    const close = `</${tokens[idx]!.tag}>\n`;
    if (!id || tokens[idx]!.tag === 'h1') return close;
    return `<a class="anchor" href="#${esc(id)}" aria-hidden="true" tabindex="-1">#</a>${close}`;
  };
}

/** A heading's text as a reader sees it (code spans included, markup dropped). */
export function plainText(children: Token[]): string {
  return children
    .map((t) => (t.type === 'text' || t.type === 'code_inline' ? t.content : t.children ? plainText(t.children) : ''))
    .join('');
}
