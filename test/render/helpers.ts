// Shared by the renderer's tests: the fixture lessons, a page environment for
// one markdown-it render, a temporary copy of the fixtures, and a checker
// for the links and anchors of a built site.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { createEnv, type PageEnv } from '../../runner/render/env.ts';
import { createCodeHighlighter, type CodeHighlighter } from '../../runner/render/highlight.ts';
import { type Lesson, readLesson } from '../../runner/workbook.ts';

export const fixtureLessons = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'render', 'lessons');
export const realLessons = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lessons');

let highlighter: Promise<CodeHighlighter> | undefined;

/** A fixture lesson, read by the workbook model. */
export function fixtureLesson(folder = '01-echo'): Lesson {
  return readLesson(dirname(fixtureLessons), join(fixtureLessons, folder));
}

/** A page environment for rendering text as if it were `file` of fixture lesson `folder`. */
export async function pageEnv(extra: Partial<PageEnv> = {}, folder = '01-echo'): Promise<PageEnv> {
  highlighter ??= createCodeHighlighter();
  // No exercises: the task-card plugin would ask for their task headings in the text.
  return createEnv({ ...fixtureLesson(folder), exercises: [] }, await highlighter, extra);
}

/** Temporary folders, removed after each test. */
export function useTempDirs(): (prefix?: string) => string {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix = 'workbook-render-') => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}

/** Copies the fixture lessons into `dir`/lessons and returns that path. */
export function copyFixtures(dir: string): string {
  const lessons = join(dir, 'lessons');
  cpSync(fixtureLessons, lessons, { recursive: true });
  return lessons;
}

/**
 * Every problem with the links of the site in `dir`: an href or src that
 * points to a missing file or anchor, or to anything outside the site that
 * the browser would fetch. Returns sentences; empty means all is well.
 */
export function siteLinkProblems(dir: string): string[] {
  const pages = readdirSync(dir).filter((f) => f.endsWith('.html'));
  const ids = new Map(pages.map((p) => [p, new Set([...read(dir, p).matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!))]));
  const files = new Set(listFiles(dir));
  const problems: string[] = [];
  for (const page of pages) {
    const html = read(dir, page);
    for (const m of html.matchAll(/<(a|link|script|img|source|iframe)\b[^>]*?\s(href|src)="([^"]*)"/g)) {
      const [, tag, , url] = m as unknown as [string, string, string, string];
      if (/^[a-z]+:/i.test(url) || url.startsWith('//')) {
        // Outward links are fine to follow; nothing may be fetched from outside.
        if (tag !== 'a' && !url.startsWith('data:'))
          problems.push(`${page}: <${tag}> loads ${url} from outside the site`);
        continue;
      }
      const [path = '', fragment] = url.split('#', 2);
      const target = path === '' ? page : path;
      if (!files.has(target)) problems.push(`${page}: ${url} points to a missing file`);
      else if (fragment !== undefined && fragment !== '' && !ids.get(target)?.has(decodeURIComponent(fragment))) {
        problems.push(`${page}: ${url} points to a missing anchor`);
      }
    }
    if (/@import|url\(\s*['"]?(https?:)?\/\//.test(html))
      problems.push(`${page}: fetches something from outside in inline CSS`);
  }
  for (const css of [...files].filter((f) => f.endsWith('.css'))) {
    if (/@import|url\(\s*['"]?(https?:)?\/\//.test(read(dir, css)))
      problems.push(`${css}: fetches something from outside`);
  }
  return problems;
}

function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8');
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}
