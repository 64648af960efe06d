// Builds the whole site in memory: one page per lesson, the index, the
// stylesheet. `workbook render` writes the files; `workbook serve` serves them.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEnv } from './env.ts';
import { WorkbookError } from '../errors.ts';
import { createCodeHighlighter } from './highlight.ts';
import { loadLessons, pageOf } from './lessons.ts';
import { createMarkdown } from './markdown.ts';
import { parseHints } from '../hints.ts';
import { defaultStatePath, readProgress } from './state.ts';
import { indexPage, lessonPage } from './templates.ts';

const assetsDir = join(dirname(fileURLToPath(import.meta.url)), 'assets');

export interface BuildOptions {
  lessonsDir: string;
  statePath?: string;
  /** Serve mode: pages get the live-reload script. */
  live?: boolean;
}

export interface Site {
  /** Site path (`index.html`, `style.css`, ...) -> contents. */
  files: Map<string, string | Buffer>;
  /** How many HTML pages. */
  pages: number;
}

/** Ids the page shell itself uses, reserved before the lesson's headings take theirs. */
const SHELL_IDS = ['content', 'toc-title'];

export async function buildSite(options: BuildOptions): Promise<Site> {
  const lessons = await loadLessons(options.lessonsDir);
  const done = await readProgress(options.statePath ?? defaultStatePath(options.lessonsDir));
  const highlighter = await createCodeHighlighter();
  const md = createMarkdown();
  const live = options.live ?? false;
  const files = new Map<string, string | Buffer>();
  const ids = new Map<string, Set<string>>();
  const links: { from: string; link: ReturnType<typeof createEnv>['links'][number] }[] = [];
  const assets = new Map<string, string>();

  lessons.forEach((lesson, i) => {
    const hints = lesson.hints === undefined ? new Map() : parseHints(lesson.hints, lesson.where('hints.md'));
    const env = createEnv(lesson, highlighter, { hints, done, ids: new Set(SHELL_IDS) });
    const html = md.render(lesson.readme, env);
    const page = pageOf(lesson);
    files.set(page, lessonPage({ lesson, html, toc: env.toc, prev: lessons[i - 1], next: lessons[i + 1], done }, live));
    ids.set(page, env.ids);
    for (const link of env.links) links.push({ from: page, link });
    for (const [to, from] of env.assets) assets.set(to, from);
  });

  // Every link between pages must land on a page and an anchor that exist.
  for (const { from, link } of links) {
    const page = link.page || from;
    const targetIds = ids.get(page);
    if (!targetIds) throw new WorkbookError(`the link points to ${page}, which is not in the site`, link);
    if (link.fragment && !targetIds.has(link.fragment)) {
      throw new WorkbookError(`the link to #${link.fragment} points nowhere: ${page} has no such anchor`, link);
    }
  }

  files.set('index.html', indexPage(lessons, done, live));
  const css = await readFile(join(assetsDir, 'style.css'), 'utf8');
  files.set(
    'style.css',
    `${css}\n/* Syntax colours (shiki: github-light-default, github-dark-default) */\n${highlighter.css()}\n`,
  );
  files.set('favicon.svg', await readFile(join(assetsDir, 'favicon.svg')));
  for (const [to, from] of assets) files.set(to, await readFile(from));
  return { files, pages: lessons.length + 1 };
}
