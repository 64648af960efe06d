// Links and images in a lesson, written to work on GitHub, made to work in
// the site: `../02-framing/README.md#wire-format` becomes
// `02-framing.html#wire-format`; a link to another file (a starter, a test)
// becomes its name in plain text, since the site does not hold those files.
// Every link inside the site is recorded, to be checked once all pages exist;
// a link or image to a file that does not exist fails the render.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import { errorAt, lineOf, type PageEnv } from '../env.ts';

const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

export function linksPlugin(md: MarkdownIt): void {
  md.core.ruler.after('inline', 'workbook_links', (state) => {
    const env = state.env as PageEnv;
    for (const block of state.tokens) {
      if (block.type !== 'inline' || !block.children) continue;
      const children = block.children;
      children.forEach((t, i) => {
        if (t.type === 'link_open') rewriteLink(env, block, children, i);
        else if (t.type === 'image') rewriteImage(env, block, t);
      });
    }
  });
}

function rewriteLink(env: PageEnv, block: Token, children: Token[], i: number): void {
  const link = children[i]!;
  const href = link.attrGet('href') ?? '';
  const line = lineOf(env, block);
  const file = env.lesson.where(env.file);
  if (EXTERNAL.test(href)) return;
  if (href.startsWith('#')) {
    env.links.push({ page: '', fragment: decodeURIComponent(href.slice(1)), file, line });
    return;
  }
  if (href.startsWith('/'))
    throw errorAt(env, block, `link "${href}" starts with "/": use a path relative to the lesson folder`);
  const [path = '', hash = ''] = href.split('#', 2);
  const target = resolve(env.lesson.dir, decodeURIComponent(path));
  if (!existsSync(target))
    throw errorAt(env, block, `link "${href}" points to ${relative(env.lesson.dir, target)}, which does not exist`);
  const lessonsRoot = dirname(env.lesson.dir);
  const isDir = statSync(target).isDirectory();
  const folder = isDir ? target : dirname(target);
  const inLessons = dirname(folder) === lessonsRoot && existsSync(join(folder, 'lesson.json'));
  const name = isDir ? 'README.md' : basename(target);
  if (inLessons && (name === 'README.md' || name === 'hints.md')) {
    const page = `${basename(folder)}.html`;
    link.attrSet('href', `${page}${hash ? `#${hash}` : ''}`);
    env.links.push({ page, fragment: decodeURIComponent(hash), file, line });
    return;
  }
  // A file the site does not carry: keep its name as text, drop the link.
  const close = children.slice(i).find((t) => t.type === 'link_close' && t.level === link.level)!;
  link.tag = close.tag = 'span';
  link.attrs = [
    ['class', 'file-ref'],
    ['title', relative(lessonsRoot, target).split(sep).join('/')],
  ];
}

function rewriteImage(env: PageEnv, block: Token, image: Token): void {
  const src = image.attrGet('src') ?? '';
  if (EXTERNAL.test(src))
    throw errorAt(
      env,
      block,
      `image "${src}" is not local: the site must not fetch anything; put the file in the lesson folder`,
    );
  const target = resolve(env.lesson.dir, decodeURIComponent(src));
  const inside = relative(env.lesson.dir, target);
  if (inside.startsWith('..')) throw errorAt(env, block, `image "${src}" is outside the lesson folder`);
  if (!existsSync(target)) throw errorAt(env, block, `image "${src}" does not exist in ${env.lesson.slug}/`);
  const sitePath = `assets/${env.lesson.slug}/${inside.split(sep).join('/')}`;
  env.assets.set(sitePath, target);
  image.attrSet('src', sitePath);
}
