import { describe, expect, it } from 'vitest';
import { createEnv } from '../../runner/render/env.ts';
import { WorkbookError } from '../../runner/errors.ts';
import { createMarkdown } from '../../runner/render/markdown.ts';
import { parseHints } from '../../runner/hints.ts';
import { exerciseId } from '../../runner/workbook.ts';
import { fixtureLesson, pageEnv } from './helpers.ts';

const HINTS = `# Hints: Echo

## Task 1: An echo server

### Hint 1
Which event gives you the bytes?

### Hint 2
\`\`\`ts
## not a heading: inside a code fence
\`\`\`

## Task 2: Shout

### Hint 1
Strings have a method for this.
`;

const README = `# Lesson 01: Echo

## Bytes

Text.

## Task 1: An echo server

Write it.

### Details

More.

## Task 2: Shout

Shout.

## Check your work
`;

const exercises = [
  { name: 'echo', task: 1, title: 'An echo server', file: 'echo.ts', test: 'echo.test.ts' },
  { name: 'shout', task: 2, title: 'Shout', file: 'upper.ts', test: 'upper.test.ts' },
];

async function renderPage(readme = README, hints = HINTS, done?: Set<string>) {
  const base = await pageEnv();
  const lesson = fixtureLesson();
  lesson.exercises = exercises.map((e) => ({ ...e, points: 1, id: exerciseId(lesson.slug, e.name), lesson }));
  const env = createEnv(lesson, base.highlighter, {
    hints: parseHints(hints, 'lessons/01-echo/hints.md'),
    done,
  });
  return { html: createMarkdown().render(readme, env), env };
}

function hintError(text: string): string {
  try {
    parseHints(text, 'lessons/01-echo/hints.md');
  } catch (err) {
    expect(err).toBeInstanceOf(WorkbookError);
    return (err as Error).message;
  }
  throw new Error('expected parseHints to fail');
}

describe('headings: anchors and the table of contents', () => {
  it('gives "## Task N: ..." the id task-N, and other headings their slug', async () => {
    const { html, env } = await renderPage();
    expect(html).toContain('<h2 id="task-1">Task 1: An echo server<a class="anchor" href="#task-1"');
    expect(html).toContain('<h2 id="bytes">');
    expect(html).toContain('<h3 id="details">');
    expect(html).toContain('<h2 id="check-your-work">');
    expect(env.toc.map((t) => [t.level, t.id, t.task])).toEqual([
      [2, 'bytes', undefined],
      [2, 'task-1', 1],
      [3, 'details', undefined],
      [2, 'task-2', 2],
      [2, 'check-your-work', undefined],
    ]);
  });

  it('makes repeated headings unique and keeps clear of ids the page already uses', async () => {
    const env = await pageEnv({ ids: new Set(['content']) });
    const html = createMarkdown().render('## Content\n\n## Notes\n\n## Notes\n', env);
    expect(html).toContain('<h2 id="content-2">');
    expect(html).toContain('<h2 id="notes">');
    expect(html).toContain('<h2 id="notes-2">');
  });

  it('fails on two headings for the same task', async () => {
    const err = await renderPage(`${README}\n## Task 2: Again\n`).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'lessons/01-echo/README.md:21: a second "## Task 2" heading: task numbers must be unique',
    );
  });
});

describe('hints: parsed from hints.md', () => {
  it('reads tasks and their hints, with the line each hint starts on, ignoring headings in code', () => {
    const tasks = parseHints(HINTS, 'hints.md');
    expect([...tasks.keys()]).toEqual([1, 2]);
    expect(tasks.get(1)).toMatchObject({ task: 1, title: 'An echo server', line: 3 });
    expect(tasks.get(1)!.hints.map((h) => [h.number, h.line])).toEqual([
      [1, 6],
      [2, 9],
    ]);
    expect(tasks.get(1)!.hints[1]!.body).toContain('## not a heading');
  });

  it('says what is wrong and where', () => {
    expect(hintError('## Task 1: A\n\nStray text.\n')).toBe(
      'lessons/01-echo/hints.md:3: text outside a hint: put it under a "### Hint N" heading',
    );
    expect(hintError('### Hint 1\nx\n')).toBe('lessons/01-echo/hints.md:1: a hint before any "## Task N: ..." section');
    expect(hintError('## Task 1: A\n### Hint 1\n\n## Task 2: B\n### Hint 1\nok\n')).toBe(
      'lessons/01-echo/hints.md:2: hint 1 of task 1 is empty',
    );
    expect(hintError('## Task 1: A\n')).toBe(
      'lessons/01-echo/hints.md:1: task 1 has no hints: add "### Hint 1" below it',
    );
    expect(hintError('## Tasks\n')).toContain(':1: "## Tasks" should be "## Task N: <title>"');
    expect(hintError('## Task 1: A\n### Hint one\nx\n')).toContain(':2: "### Hint one" should be "### Hint N"');
    expect(hintError('## Task 1: A\n### Hint 1\nx\n### Hint 1\ny\n')).toContain(':4: task 1 has two "### Hint 1"');
  });
});

describe('hints: folded into the lesson page', () => {
  it('puts one <details> per hint at the end of its task, before the next section', async () => {
    const { html } = await renderPage();
    const task1 = html.slice(html.indexOf('id="task-1"'), html.indexOf('id="task-2"'));
    expect(task1.match(/<details class="hint"/g)).toHaveLength(2);
    expect(task1.indexOf('id="details"')).toBeLessThan(task1.indexOf('<section class="hints" id="task-1-hints"'));
    expect(task1).toContain(
      '<details class="hint"><summary><span class="hint-label">Hint 1</span></summary><div class="hint-body" id="task-1-hint-1">',
    );
    expect(task1).toContain('<p>Which event gives you the bytes?</p>');
    expect(task1).not.toContain(' open');
    const task2 = html.slice(html.indexOf('id="task-2"'), html.indexOf('id="check-your-work"'));
    expect(task2).toContain('id="task-2-hint-1"');
  });

  it('renders a hint body with the same extensions as the README', async () => {
    const hints =
      '## Task 1: A\n### Hint 1\n```ts file=upper.ts region=upper\n```\n\n> [!TIP]\n> Look.\n\n## Task 2: B\n### Hint 1\nx\n';
    const { html } = await renderPage(README, hints);
    expect(html).toContain('<span class="file">upper.ts</span>');
    expect(html).toContain('<aside class="callout tip">');
  });

  it('names hints.md and its line when an include in a hint fails', async () => {
    const hints = '## Task 1: A\n\n### Hint 1\n\n```ts file=gone.ts\n```\n';
    const err = await renderPage(README, hints).catch((e: unknown) => e);
    expect((err as Error).message).toBe('lessons/01-echo/hints.md:5: file=gone.ts: no such file in 01-echo/');
  });

  it('fails on hints for a task the README does not have', async () => {
    const err = await renderPage(README, `${HINTS}\n## Task 3: Ghost\n\n### Hint 1\nBoo.\n`).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'lessons/01-echo/hints.md:18: hints for task 3, but README.md has no "## Task 3: ..." heading',
    );
  });
});

describe('tasks: the exercise line under each task heading', () => {
  it('names the file to edit, the command that checks it, and the tests', async () => {
    const { html } = await renderPage();
    expect(html).toContain(
      '<p class="exercise">Write it in <code>echo.ts</code>; check it with <code>npx workbook check echo</code>. The tests are in <code>echo.test.ts</code>.</p>',
    );
    expect(html).not.toContain('class="status');
  });

  it('says which exercises are done when the progress is known', async () => {
    const { html } = await renderPage(README, HINTS, new Set(['01-echo/echo']));
    expect(html).toContain('<span class="status done">✓ Done</span> Write it in <code>echo.ts</code>');
    expect(html).toContain('<span class="status todo">Not done yet</span> Write it in <code>upper.ts</code>');
  });

  it('fails when an exercise in lesson.json has no task heading', async () => {
    const err = await renderPage(README.replace('## Task 2: Shout', '## Shout'), '').catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'lessons/01-echo/lesson.json: exercise "shout" is task 2, but README.md has no "## Task 2: Shout" heading',
    );
  });
});
