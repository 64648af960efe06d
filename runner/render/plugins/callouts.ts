// Callouts with GitHub's alert syntax, so the README reads the same on GitHub:
//   > [!WARNING]
//   > One 'data' event is not one message.
// The blockquote becomes <aside class="callout warning"> with a title line.
// An unknown kind ([!WARN]) fails the render rather than show the marker.
import type MarkdownIt from 'markdown-it';
import { errorAt, type PageEnv } from '../env.ts';

export const CALLOUTS: Record<string, { label: string; icon: string }> = {
  NOTE: {
    label: 'Note',
    icon: 'M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13ZM7.25 5h1.5v1.5h-1.5Zm0 2.5h1.5V11h-1.5Z',
  },
  TIP: { label: 'Tip', icon: 'M8 1.5a4.5 4.5 0 0 0-2.6 8.2V11h5.2V9.7A4.5 4.5 0 0 0 8 1.5ZM6 12.5h4V14H6Z' },
  IMPORTANT: { label: 'Important', icon: 'M2 2.5h12v9H8.5L5 14v-2.5H2ZM7.25 4.5h1.5v3.5h-1.5Zm0 4.5h1.5v1.5h-1.5Z' },
  WARNING: { label: 'Warning', icon: 'M8 1.5 15 14H1ZM7.25 6h1.5v4h-1.5Zm0 5h1.5v1.5h-1.5Z' },
  CAUTION: { label: 'Caution', icon: 'M5 1.5h6L14.5 5v6L11 14.5H5L1.5 11V5ZM7.25 4.5h1.5V9h-1.5Zm0 5.5h1.5v1.5h-1.5Z' },
};

const MARKER = /^\[!([A-Za-z]+)\][ \t]*(?:\n|$)/;

export function calloutsPlugin(md: MarkdownIt): void {
  md.core.ruler.after('block', 'workbook_callouts', (state) => {
    const env = state.env as PageEnv;
    const tokens = state.tokens;
    for (let i = 0; i < tokens.length; i++) {
      const open = tokens[i]!;
      const inline = tokens[i + 2];
      if (open.type !== 'blockquote_open' || tokens[i + 1]?.type !== 'paragraph_open' || inline?.type !== 'inline')
        continue;
      const m = MARKER.exec(inline.content);
      if (!m) continue;
      const kind = m[1]!.toUpperCase();
      const callout = CALLOUTS[kind];
      if (!callout) {
        throw errorAt(
          env,
          open,
          `unknown callout [!${m[1]}]: use one of ${Object.keys(CALLOUTS)
            .map((k) => `[!${k}]`)
            .join(', ')}`,
        );
      }
      inline.content = inline.content.slice(m[0].length);
      const close = tokens.slice(i + 1).find((t) => t.type === 'blockquote_close' && t.level === open.level)!;
      for (const t of [open, close]) t.tag = 'aside';
      open.attrSet('class', `callout ${kind.toLowerCase()}`);
      // The marker alone on its line leaves an empty paragraph: drop it.
      const dropEmpty = inline.content.trim() === '' ? 3 : 0;
      const title = new state.Token('html_block', '', 0);
      title.content =
        `<p class="callout-title"><svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="${callout.icon}"/></svg>` +
        `${callout.label}</p>\n`;
      tokens.splice(i + 1, dropEmpty, title);
    }
  });
}
