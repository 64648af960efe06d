// The state one page's rendering shares between markdown-it plugins: which
// lesson and file is being rendered (for error messages), the ids already
// used in the page, the table of contents, and the links to check later.
import type { Token } from 'markdown-it';
import type { HintTask } from '../hints.ts';
import { WorkbookError } from '../errors.ts';
import type { CodeHighlighter } from './highlight.ts';
import type { Lesson } from './lessons.ts';

export interface TocEntry {
  level: number;
  id: string;
  /** The heading's inline HTML. */
  html: string;
  /** The task number, for `## Task N: ...` headings. */
  task?: number;
}

/** A link inside the site, to check once every page is built. */
export interface LinkRef {
  /** The page (`01-socket-basics.html`, empty for this page) and fragment it points to. */
  page: string;
  fragment: string;
  file: string;
  line: number;
}

export type { HintTask };

export interface PageEnv {
  lesson: Pick<Lesson, 'dir' | 'slug' | 'where' | 'exercises'>;
  /** The file being rendered, relative to the lesson folder: README.md or hints.md. */
  file: string;
  /** Added to markdown-it's 0-based line numbers: where this text starts in `file`. */
  lineOffset: number;
  highlighter: CodeHighlighter;
  ids: Set<string>;
  toc: TocEntry[];
  links: LinkRef[];
  /** Files to copy into the site: site path -> absolute source path. */
  assets: Map<string, string>;
  /** How many diagrams the page has so far (for unique SVG ids). */
  diagrams: number;
  /** Hints by task number, from hints.md; folded in after each task. */
  hints: Map<number, HintTask>;
  /** Exercise ids marked done, when the learner's progress is known. */
  done: ReadonlySet<string> | undefined;
}

/** A fresh environment for rendering `file` of `lesson`. */
export function createEnv(
  lesson: PageEnv['lesson'],
  highlighter: CodeHighlighter,
  extra: Partial<Omit<PageEnv, 'lesson' | 'highlighter'>> = {},
): PageEnv {
  return {
    lesson,
    highlighter,
    file: 'README.md',
    lineOffset: 0,
    ids: new Set(),
    toc: [],
    links: [],
    assets: new Map(),
    diagrams: 0,
    hints: new Map(),
    done: undefined,
    ...extra,
  };
}

/** The 1-based line of `token` (plus `delta` lines) in the file being rendered. */
export function lineOf(env: PageEnv, token: Token | undefined, delta = 0): number {
  return env.lineOffset + (token?.map?.[0] ?? 0) + 1 + delta;
}

/** A WorkbookError at `token` (plus `delta` lines) in the file being rendered. */
export function errorAt(env: PageEnv, token: Token | undefined, message: string, delta = 0): WorkbookError {
  return new WorkbookError(message, { file: env.lesson.where(env.file), line: lineOf(env, token, delta) });
}

/** Reserves a unique id in the page: `base`, or `base-2`, `base-3`, ... */
export function uniqueId(env: PageEnv, base: string): string {
  let id = base || 'section';
  for (let n = 2; env.ids.has(id); n++) id = `${base}-${n}`;
  env.ids.add(id);
  return id;
}
