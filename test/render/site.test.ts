import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkbookError, renderSite } from '../../runner/render/index.ts';
import { copyFixtures, fixtureLessons, realLessons, siteLinkProblems, useTempDirs } from './helpers.ts';

const tempDir = useTempDirs();
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

async function build(lessonsDir = fixtureLessons, state?: string) {
  const out = join(tempDir(), 'site');
  const statePath = join(tempDir(), 'state.json');
  if (state !== undefined) writeFileSync(statePath, state);
  const result = await renderSite({ lessonsDir, outDir: out, statePath });
  return { out, result };
}

async function renderError(lessonsDir: string): Promise<WorkbookError> {
  const err = await build(lessonsDir).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkbookError);
  return err as WorkbookError;
}

describe('the built site', () => {
  it('has an index, one page per lesson, a stylesheet and an icon, and counts them', async () => {
    const { out, result } = await build();
    expect(readdirSync(out).sort()).toEqual([
      '.workbook-site.json',
      '01-echo.html',
      '02-framing.html',
      'favicon.svg',
      'index.html',
      'style.css',
    ]);
    expect(result.pages).toBe(3);
    const bytes = ['01-echo.html', '02-framing.html', 'favicon.svg', 'index.html', 'style.css'].reduce(
      (n, f) => n + readFileSync(join(out, f)).length,
      0,
    );
    expect(result.bytes).toBe(bytes);
    expect(result.ms).toBeGreaterThan(0);
  });

  it('lists the lessons in order on the index, with their titles, summaries and tasks', async () => {
    const { out } = await build();
    const index = read(out, 'index.html');
    expect(index.indexOf('<a href="01-echo.html">Echo</a>')).toBeGreaterThan(0);
    expect(index.indexOf('<a href="01-echo.html">Echo</a>')).toBeLessThan(
      index.indexOf('<a href="02-framing.html">Framing</a>'),
    );
    expect(index).toContain('<a href="01-echo.html#task-2">Task 2: Shout back</a>');
    expect(index).toContain('A fixture lesson with one task.');
  });

  it('links each lesson to the one before and after it, and to the contents', async () => {
    const { out } = await build();
    const first = read(out, '01-echo.html');
    const second = read(out, '02-framing.html');
    expect(first).toContain('<a class="pager-next" rel="next" href="02-framing.html">');
    expect(first).toContain('<a class="pager-prev" href="index.html">');
    expect(second).toContain('<a class="pager-prev" rel="prev" href="01-echo.html">');
    expect(second).toContain('<a class="pager-next" href="index.html">');
  });

  it('gives each page a table of contents that marks the tasks', async () => {
    const { out } = await build();
    const page = read(out, '01-echo.html');
    const toc = page.slice(page.indexOf('<nav class="toc"'), page.indexOf('</nav>'));
    expect(toc).toContain('<li><a href="#bytes-not-messages">Bytes, not messages</a></li>');
    expect(toc).toContain('<li class="task"><a href="#task-1">Task 1: An echo server</a></li>');
  });

  it('is self-contained: every internal link and anchor resolves, nothing is fetched from outside, no script', async () => {
    const { out } = await build();
    expect(siteLinkProblems(out)).toEqual([]);
    for (const page of ['index.html', '01-echo.html', '02-framing.html'])
      expect(read(out, page)).not.toContain('<script');
  });

  it('builds the real lessons with every internal link and anchor resolving', async () => {
    const { out, result } = await build(realLessons);
    expect(result.pages).toBe(readdirSync(realLessons).filter((f) => /^\d\d-/.test(f)).length + 1);
    expect(siteLinkProblems(out)).toEqual([]);
  });
});

describe('progress on the index', () => {
  it('shows what is done when the state file says so', async () => {
    const { out } = await build(
      fixtureLessons,
      JSON.stringify({ version: 1, done: ['01-echo/fixture-echo', 'elsewhere/x'] }),
    );
    const index = read(out, 'index.html');
    expect(index).toContain('You have done <strong>1 of 3</strong> exercises.');
    expect(index).toContain('1 of 2 done');
    expect(index).toContain('0 of 1 done');
    expect(index).toContain('<span class="check" title="done">✓</span><a href="01-echo.html#task-1">');
    expect(read(out, '01-echo.html')).toContain('<span class="status done">✓ Done</span>');
  });

  it.each([
    ['missing', undefined],
    ['not JSON', '{"version": 1, "done": ['],
    ['of another version', JSON.stringify({ version: 2, done: ['01-echo/fixture-echo'] })],
    ['the wrong shape', JSON.stringify({ version: 1, done: 'all' })],
  ])('shows no progress, and does not fail, when the state file is %s', async (_, state) => {
    const { out } = await build(fixtureLessons, state);
    expect(read(out, 'index.html')).not.toContain('progress');
    expect(read(out, '01-echo.html')).not.toContain('class="status');
  });
});

describe('the output folder', () => {
  it('refuses a folder that holds other files, and writes nothing there', async () => {
    const out = tempDir();
    writeFileSync(join(out, 'thesis.tex'), 'precious');
    const err = await renderSite({ lessonsDir: fixtureLessons, outDir: out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkbookError);
    expect((err as Error).message).toContain('is not empty and was not written by workbook render');
    expect(readdirSync(out)).toEqual(['thesis.tex']);
  });

  it('renders again over its own output, removing pages that are gone', async () => {
    const root = tempDir();
    const lessons = copyFixtures(root);
    cpSync(join(lessons, '02-framing'), join(lessons, '03-extra'), { recursive: true });
    const out = join(root, 'site');
    expect((await renderSite({ lessonsDir: lessons, outDir: out })).pages).toBe(4);
    expect(existsSync(join(out, '03-extra.html'))).toBe(true);
    rmSync(join(lessons, '03-extra'), { recursive: true });
    expect((await renderSite({ lessonsDir: lessons, outDir: out })).pages).toBe(3);
    expect(existsSync(join(out, '03-extra.html'))).toBe(false);
    expect(read(out, '02-framing.html')).toContain('<a class="pager-next" href="index.html">');
  });
});

describe('render errors name the lesson file and line', () => {
  it('fails on a link to an anchor that does not exist', async () => {
    const lessons = copyFixtures(tempDir());
    const readme = join(lessons, '02-framing', 'README.md');
    writeFileSync(readme, read(join(lessons, '02-framing'), 'README.md').replace('#task-1)', '#task-9)'));
    const err = await renderError(lessons);
    expect(err.message).toBe(
      'lessons/02-framing/README.md:14: the link to #task-9 points nowhere: 01-echo.html has no such anchor',
    );
  });

  it('fails on a lesson without a README.md', async () => {
    const lessons = copyFixtures(tempDir());
    rmSync(join(lessons, '02-framing', 'README.md'));
    expect((await renderError(lessons)).message).toBe(
      'lessons/02-framing/README.md: README.md is missing: every lesson needs one (see docs/AUTHORING.md)',
    );
  });

  it('fails on a lesson.json that is not valid', async () => {
    const lessons = copyFixtures(tempDir());
    writeFileSync(
      join(lessons, '02-framing', 'lesson.json'),
      '{"title": "Framing", "summary": "", "exercises": [{"name": "x"}]}',
    );
    expect((await renderError(lessons)).message).toContain(
      'lessons/02-framing/lesson.json: exercises[0].title must be a non-empty string',
    );
    writeFileSync(join(lessons, '02-framing', 'lesson.json'), '{"title": ');
    expect((await renderError(lessons)).message).toContain('lessons/02-framing/lesson.json: is not valid JSON');
  });

  it('fails on a lessons folder with no lessons', async () => {
    expect((await renderError(tempDir())).message).toContain('holds no lesson folders');
  });

  it('keeps the previous site when a render fails', async () => {
    const root = tempDir();
    const lessons = copyFixtures(root);
    const out = join(root, 'site');
    await renderSite({ lessonsDir: lessons, outDir: out });
    const before = read(out, '01-echo.html');
    writeFileSync(join(lessons, '01-echo', 'echo.ts'), '// regions gone\n');
    await expect(renderSite({ lessonsDir: lessons, outDir: out })).rejects.toThrow('lessons/01-echo/README.md:');
    expect(read(out, '01-echo.html')).toBe(before);
  });
});

describe('readability', () => {
  // WCAG 2 contrast ratio between two #rrggbb colours.
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a: string, b: string) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
    return (x + 0.05) / (y + 0.05);
  };

  it('keeps text and every code colour at a contrast of at least 4.5:1, in both themes', async () => {
    const { out } = await build();
    const css = read(out, 'style.css');
    const darkBlock = css.slice(css.indexOf('@media screen and (prefers-color-scheme: dark)'));
    const themeVar = (block: string, name: string) => new RegExp(`--${name}:\\s*(#[0-9a-f]{6})`, 'i').exec(block)![1]!;
    for (const [theme, block] of [
      ['light', css],
      ['dark', darkBlock],
    ] as const) {
      const bg = themeVar(block, 'bg');
      for (const name of ['fg', 'muted', 'accent', 'note', 'tip', 'important', 'warning', 'caution', 'done']) {
        expect(contrast(themeVar(block, name), bg), `${theme} --${name} on --bg`).toBeGreaterThanOrEqual(4.5);
      }
      for (const kind of ['note', 'tip', 'important', 'warning', 'caution']) {
        expect(
          contrast(themeVar(block, kind), themeVar(block, `${kind}-bg`)),
          `${theme} ${kind} callout`,
        ).toBeGreaterThanOrEqual(4.5);
      }
      const codeBg = themeVar(block, 'code-bg');
      const tokens = [...css.matchAll(new RegExp(`--shiki-${theme}:(#[0-9A-F]{6})`, 'g'))].map((m) => m[1]!);
      expect(tokens.length).toBeGreaterThan(3);
      for (const colour of tokens)
        expect(contrast(colour, codeBg), `${theme} token ${colour}`).toBeGreaterThanOrEqual(4.5);
    }
  });
});
