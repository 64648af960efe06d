// Reads a lesson's hints.md: `## Task N: title` sections, each holding
// `### Hint k` subsections (see docs/AUTHORING.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lesson } from './workbook.ts';

/** The hints of each task, in order, as Markdown text. */
export function readHints(lesson: Lesson): Map<number, string[]> {
  let text: string;
  try {
    text = readFileSync(join(lesson.dir, 'hints.md'), 'utf8');
  } catch {
    return new Map();
  }
  return parseHints(text);
}

export function parseHints(markdown: string): Map<number, string[]> {
  const hints = new Map<number, string[]>();
  let task: number | undefined;
  let current: string[] | undefined;
  let inFence = false;
  for (const line of markdown.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (!inFence) {
      const taskHeading = /^##\s+Task\s+(\d+)\b/i.exec(line);
      if (taskHeading) {
        task = Number(taskHeading[1]);
        hints.set(task, []);
        current = undefined;
        continue;
      }
      if (/^##\s/.test(line)) {
        task = undefined;
        current = undefined;
        continue;
      }
      if (/^###\s+Hint\b/i.test(line) && task !== undefined) {
        current = [];
        hints.get(task)!.push('');
        continue;
      }
    }
    if (current && task !== undefined) {
      const list = hints.get(task)!;
      list[list.length - 1] += `${line}\n`;
    }
  }
  for (const [t, list] of hints) hints.set(t, list.map((h) => h.trim()).filter(Boolean));
  return hints;
}
