// A lesson's hints.md: `## Task N: title` sections, each holding
// `### Hint K` subsections (docs/AUTHORING.md). One parser for the runner's
// `hint` command, `dev check` and the rendered site.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkbookError } from './errors.ts';
import type { Lesson } from './workbook.ts';

/** A task heading's text: "Task 3: A UDP echo server" (also in README.md). */
export const TASK_HEADING = /^Task\s+(\d+)\b\s*[:.—-]?\s*/;

export interface HintTask {
  task: number;
  title: string;
  /** Line of the `## Task N` heading. */
  line: number;
  /** Each hint's Markdown, and the line where its text starts. */
  hints: { number: number; body: string; line: number }[];
}

/** Splits hints.md into tasks and hints, refusing anything outside the format (a WorkbookError at `file`:line). */
export function parseHints(text: string, file: string): Map<number, HintTask> {
  const tasks = new Map<number, HintTask>();
  let task: HintTask | undefined;
  let hint: HintTask['hints'][number] | undefined;
  let fence: string | undefined;
  const fail = (line: number, message: string): never => {
    throw new WorkbookError(message, { file, line });
  };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const f = /^\s*(`{3,}|~{3,})/.exec(raw);
    if (fence) {
      if (f && f[1]!.startsWith(fence)) fence = undefined;
    } else if (f) {
      fence = f[1]!;
    } else if (/^#\s/.test(raw)) {
      if (task) fail(line, 'a "# " title belongs at the top of hints.md only');
      return;
    } else if (/^##\s/.test(raw)) {
      const m = TASK_HEADING.exec(raw.replace(/^##\s+/, ''));
      if (!m) return fail(line, `"${raw}" should be "## Task N: <title>", like the task in README.md`);
      const n = Number(m[1]);
      if (tasks.has(n)) fail(line, `task ${n} has a second "## Task ${n}" section`);
      task = {
        task: n,
        title: raw
          .replace(/^##\s+/, '')
          .slice(m[0].length)
          .trim(),
        line,
        hints: [],
      };
      tasks.set(n, task);
      hint = undefined;
      return;
    } else if (/^###\s/.test(raw)) {
      const m = /^###\s+Hint\s+(\d+)\s*$/.exec(raw);
      if (!m) return fail(line, `"${raw}" should be "### Hint N"`);
      if (!task) return fail(line, 'a hint before any "## Task N: ..." section');
      const number = Number(m[1]);
      if (task.hints.some((h) => h.number === number)) fail(line, `task ${task.task} has two "### Hint ${number}"`);
      hint = { number, body: '', line: line + 1 };
      task.hints.push(hint);
      return;
    }
    if (hint) hint.body += `${raw}\n`;
    else if (raw.trim() !== '') fail(line, 'text outside a hint: put it under a "### Hint N" heading');
  });
  for (const t of tasks.values()) {
    if (t.hints.length === 0) fail(t.line, `task ${t.task} has no hints: add "### Hint 1" below it`);
    for (const h of t.hints) if (h.body.trim() === '') fail(h.line - 1, `hint ${h.number} of task ${t.task} is empty`);
  }
  return tasks;
}

/** The hints of each task of `lesson`, in order, as Markdown; none when it has no hints.md. */
export function readHints(lesson: Lesson): Map<number, string[]> {
  let text: string;
  try {
    text = readFileSync(join(lesson.dir, 'hints.md'), 'utf8');
  } catch {
    return new Map();
  }
  const tasks = parseHints(text, lesson.where('hints.md'));
  return new Map([...tasks].map(([n, t]) => [n, t.hints.map((h) => h.body.trim())]));
}
