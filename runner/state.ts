// The learner's progress: which exercises pass and how many hints were
// shown, in <root>/.workbook/state.json (git-ignored). Written atomically
// (a temporary file renamed into place), so a crash mid-write cannot leave
// half a file; a missing or corrupt file is rebuilt, never a crash.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Exercise, Workbook } from './workbook.ts';

export interface State {
  version: 1;
  /** Ids of the exercises that passed, e.g. `01-socket-basics/echo-server`. */
  done: string[];
  /** How many hints of each exercise the learner has seen. */
  hints: Record<string, number>;
}

export function statePath(root: string): string {
  return join(root, '.workbook', 'state.json');
}

const empty = (): State => ({ version: 1, done: [], hints: {} });

/** Reads the state; returns a fresh one (and says why on stderr) when the file is missing or damaged. */
export function readState(root: string): State {
  let text: string;
  try {
    text = readFileSync(statePath(root), 'utf8');
  } catch {
    return empty();
  }
  const state = parseState(text);
  if (state) return state;
  process.stderr.write(
    `The progress file ${statePath(root)} was damaged; starting a new one (your code is untouched).\n`,
  );
  return empty();
}

/** The state in a state file's text, or undefined when the text is not a version-1 state. */
export function parseState(text: string): State | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { version, done, hints } = raw as Partial<Record<keyof State, unknown>>;
  if (version !== 1 || !Array.isArray(done)) return undefined;
  const seen: Record<string, number> = {};
  if (hints && typeof hints === 'object') {
    for (const [k, v] of Object.entries(hints)) if (Number.isInteger(v) && (v as number) > 0) seen[k] = v as number;
  }
  return { version: 1, done: [...new Set(done.filter((d): d is string => typeof d === 'string'))], hints: seen };
}

export function writeState(root: string, state: State): void {
  const file = statePath(root);
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state, null, 2) + '\n');
  renameSync(temp, file);
}

/** Reads, changes and writes the state in one step. */
export function updateState(root: string, change: (state: State) => void): State {
  const state = readState(root);
  change(state);
  writeState(root, state);
  return state;
}

/** The first exercise, in workbook order, that has not passed yet. */
export function currentExercise(workbook: Workbook, state: State): Exercise | undefined {
  return workbook.exercises.find((e) => !state.done.includes(e.id));
}
