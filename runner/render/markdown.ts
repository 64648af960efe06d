// The markdown-it instance that renders lessons, with the workbook's plugins.
import MarkdownIt from 'markdown-it';
import { calloutsPlugin } from './plugins/callouts.ts';
import { codePlugin } from './plugins/code.ts';
import { diagramsPlugin } from './plugins/diagrams.ts';
import { headingsPlugin } from './plugins/headings.ts';
import { hintsPlugin } from './plugins/hints.ts';
import { includePlugin } from './plugins/include.ts';
import { linksPlugin } from './plugins/links.ts';
import { tasksPlugin } from './plugins/tasks.ts';

export function createMarkdown(): MarkdownIt {
  // html: lesson authors may write a <kbd> or a <br>; typographer stays off so
  // that "hello" and -- keep the exact characters a program would send.
  const md = new MarkdownIt({ html: true, linkify: false, typographer: false });
  return md
    .use(codePlugin) // first: the diagrams plugin falls back to it
    .use(includePlugin)
    .use(diagramsPlugin)
    .use(calloutsPlugin)
    .use(headingsPlugin)
    .use(tasksPlugin)
    .use(hintsPlugin)
    .use(linksPlugin);
}
