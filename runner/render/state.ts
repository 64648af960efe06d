// The learner's progress, as the runner records it in `.workbook/state.json`:
// `{ "version": 1, "done": ["01-socket-basics/echo-server", ...] }`.
// Progress is a nicety on the site: a missing or corrupt file shows none.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** Where the runner keeps its state for the repository that holds `lessonsDir`. */
export function defaultStatePath(lessonsDir: string): string {
  return join(dirname(resolve(lessonsDir)), '.workbook', 'state.json');
}

/** The exercise ids (`<lesson-folder>/<name>`) marked done, or undefined when unknown. */
export async function readProgress(statePath: string): Promise<ReadonlySet<string> | undefined> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(statePath, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const { version, done } = data as { version?: unknown; done?: unknown };
  if (version !== 1 || !Array.isArray(done) || !done.every((d) => typeof d === 'string')) return undefined;
  return new Set(done as string[]);
}
