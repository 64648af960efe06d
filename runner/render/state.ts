// The learner's progress on the site, from the runner's state file
// (runner/state.ts). Progress is a nicety there: a missing or damaged file shows none.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseState, statePath } from '../state.ts';

/** Where the runner keeps its state for the repository that holds `lessonsDir`. */
export function defaultStatePath(lessonsDir: string): string {
  return statePath(dirname(resolve(lessonsDir)));
}

/** The exercise ids (`<lesson-folder>/<name>`) marked done, or undefined when unknown. */
export async function readProgress(path: string): Promise<ReadonlySet<string> | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const state = text === undefined ? undefined : parseState(text);
  return state && new Set(state.done);
}
