// The HTML around the rendered Markdown: the page shell, the lesson page with
// its table of contents and previous/next links, and the index.
import type { TocEntry } from './env.ts';
import { esc } from './html.ts';
import { exerciseId } from '../workbook.ts';
import { pageOf, type Lesson } from './lessons.ts';

export const SITE_TITLE = 'Network programming with TypeScript';

/** The script serve mode adds to every page: reload when the server says so. */
export const LIVE_RELOAD = `<script>new EventSource('/__workbook/events').addEventListener('reload',()=>location.reload())</script>`;

export function shell(opts: { title: string; body: string; live: boolean; bodyClass: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${esc(opts.title)}</title>
<link rel="stylesheet" href="style.css">
<link rel="icon" href="favicon.svg" type="image/svg+xml">
</head>
<body class="${opts.bodyClass}">
<a class="skip" href="#content">Skip to the text</a>
${opts.body}
${opts.live ? LIVE_RELOAD + '\n' : ''}</body>
</html>
`;
}

function header(current: string): string {
  return `<header class="site-header"><a class="site-title" href="index.html">${esc(SITE_TITLE)}</a><span class="here">${current}</span></header>`;
}

export interface LessonPageParts {
  lesson: Lesson;
  html: string;
  toc: TocEntry[];
  prev: Lesson | undefined;
  next: Lesson | undefined;
  done: ReadonlySet<string> | undefined;
}

export function lessonPage(p: LessonPageParts, live: boolean): string {
  const { lesson } = p;
  const doneTasks = new Set(lesson.exercises.filter((e) => p.done?.has(e.id)).map((e) => e.task));
  const items = p.toc
    .filter((t) => t.level === 2)
    .map((t) => {
      const mark = t.task !== undefined && doneTasks.has(t.task) ? ' <span class="check" title="done">✓</span>' : '';
      return `<li${t.task !== undefined ? ' class="task"' : ''}><a href="#${esc(t.id)}">${t.html}</a>${mark}</li>`;
    })
    .join('\n');
  // Folded on a phone (so the lesson starts on the first screen), always shown beside the text on a wide screen.
  const toc = `<nav class="toc" aria-labelledby="toc-title"><details><summary class="toc-title" id="toc-title">In this lesson</summary><ol>\n${items}\n</ol></details></nav>`;
  const body = `${header(`Lesson ${esc(lesson.number)}`)}
<div class="layout has-toc">
${toc}
<main id="content" class="prose">
${p.html}
${pager(p.prev, p.next)}
</main>
</div>
${footer()}`;
  return shell({ title: `Lesson ${lesson.number}: ${lesson.title} · ${SITE_TITLE}`, body, live, bodyClass: 'lesson' });
}

function pager(prev: Lesson | undefined, next: Lesson | undefined): string {
  const link = (l: Lesson | undefined, rel: 'prev' | 'next') => {
    if (!l) return `<span class="pager-${rel} empty"></span>`;
    const label = rel === 'prev' ? '← Previous' : 'Next →';
    return (
      `<a class="pager-${rel}" rel="${rel}" href="${pageOf(l)}"><span class="pager-label">${label}</span>` +
      `<span class="pager-title">${esc(l.number)}. ${esc(l.title)}</span></a>`
    );
  };
  const index = !prev
    ? `<a class="pager-prev" href="index.html"><span class="pager-label">← Contents</span><span class="pager-title">All lessons</span></a>`
    : link(prev, 'prev');
  const after = !next
    ? `<a class="pager-next" href="index.html"><span class="pager-label">Contents →</span><span class="pager-title">All lessons</span></a>`
    : link(next, 'next');
  return `<nav class="pager" aria-label="Lessons">${index}${after}</nav>`;
}

function footer(): string {
  return `<footer class="site-footer"><p>Built from the lessons by <code>npx workbook render</code>. Check your work with <code>npm start</code>.</p></footer>`;
}

export function indexPage(lessons: Lesson[], done: ReadonlySet<string> | undefined, live: boolean): string {
  const all = lessons.flatMap((l) => l.exercises.map((e) => e.id));
  const doneCount = done ? all.filter((id) => done.has(id)).length : 0;
  const summary = done
    ? `<p class="progress-summary">You have done <strong>${doneCount} of ${all.length}</strong> exercises.${
        doneCount < all.length
          ? ' Run <code>npm start</code> to check the next one.'
          : ' Every exercise passes: well done.'
      }</p>`
    : '';
  const cards = lessons.map((l) => lessonCard(l, done)).join('\n');
  const body = `${header('Contents')}
<div class="layout">
<main id="content" class="prose index">
<h1>${esc(SITE_TITLE)}</h1>
<p class="lede">A workbook about programs that talk over a network, from a first TCP echo server to an authenticated, framed file server. Each lesson explains one idea with concrete bytes, names the mistakes people make, and gives you small exercises with tests.</p>
<p>Work in your clone of the workbook: edit the exercise file, then run <code>npm start</code> to check it. Hints are folded under each task.</p>
${summary}
<ol class="lessons">
${cards}
</ol>
</main>
</div>
${footer()}`;
  return shell({ title: SITE_TITLE, body, live, bodyClass: 'home' });
}

function lessonCard(l: Lesson, done: ReadonlySet<string> | undefined): string {
  const page = pageOf(l);
  const isDone = (name: string) => done?.has(exerciseId(l.slug, name)) ?? false;
  const count = l.exercises.filter((e) => isDone(e.name)).length;
  const progress = done
    ? `<p class="lesson-progress"><span class="bar" aria-hidden="true"><span style="width:${l.exercises.length ? Math.round((100 * count) / l.exercises.length) : 0}%"></span></span>` +
      `${count} of ${l.exercises.length} done</p>`
    : '';
  const tasks = l.exercises
    .map((e) => {
      const mark = done
        ? isDone(e.name)
          ? '<span class="check" title="done">✓</span>'
          : '<span class="dot" aria-hidden="true"></span>'
        : '';
      const state = done ? `<span class="visually-hidden">${isDone(e.name) ? ' (done)' : ' (not done)'}</span>` : '';
      return `<li>${mark}<a href="${page}#task-${e.task}">Task ${e.task}: ${esc(e.title)}</a>${state}</li>`;
    })
    .join('');
  return (
    `<li class="lesson-card"><p class="lesson-number">Lesson ${esc(l.number)}</p>` +
    `<h2><a href="${page}">${esc(l.title)}</a></h2><p class="summary">${esc(l.summary)}</p>${progress}` +
    (tasks ? `<ol class="tasks">${tasks}</ol>` : '') +
    `</li>`
  );
}

export function errorPage(message: string): string {
  const body = `${header('Render error')}
<div class="layout">
<main id="content" class="prose">
<h1>The lessons did not render</h1>
<pre class="render-error">${esc(message)}</pre>
<p>Fix the file and save it: this page reloads by itself.</p>
</main>
</div>`;
  return shell({ title: `Render error · ${SITE_TITLE}`, body, live: true, bodyClass: 'error' });
}
