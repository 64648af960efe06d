// How a code fence is drawn: highlighted at build time, in a <figure> whose
// caption names the file (and the lines quoted), or the fence's title=.
import type MarkdownIt from 'markdown-it';
import type { PageEnv } from '../env.ts';
import { esc } from '../html.ts';
import type { CodeMeta } from './include.ts';

export function codePlugin(md: MarkdownIt): void {
  md.renderer.rules.fence = (tokens, idx, _options, env: PageEnv) => {
    const token = tokens[idx]!;
    const meta: CodeMeta = token.meta ?? { lang: token.info.trim().split(/\s+/)[0] ?? '' };
    return renderCode(env, token.content, meta);
  };
}

export function renderCode(env: PageEnv, content: string, meta: CodeMeta): string {
  const pre = env.highlighter.highlight(content, meta.lang, meta.lineNumbers);
  const caption = captionOf(meta);
  const cls = `code${meta.lineNumbers ? ' numbered' : ''}`;
  return caption
    ? `<figure class="${cls}"><figcaption>${caption}</figcaption>${pre}</figure>\n`
    : `<div class="${cls}">${pre}</div>\n`;
}

function captionOf(meta: CodeMeta): string {
  if (meta.title) return esc(meta.title);
  if (!meta.file) return '';
  const n = meta.lineNumbers ?? [];
  const first = n[0];
  const last = n.at(-1);
  const lines =
    meta.region === undefined || first === undefined ? '' : first === last ? `line ${first}` : `lines ${first}–${last}`;
  return `<span class="file">${esc(meta.file)}</span>${lines ? ` <span class="lines">${lines}</span>` : ''}`;
}
