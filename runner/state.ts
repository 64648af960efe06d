// The learner's progress: which exercises pass and how many hints were
// shown, in <root>/.workbook/state.json (git-ignored). Written atomically
// (a temporary file renamed into place), so a crash mid-write cannot leave
// half a file. Anything damaged in the way (a state.json that is not a
// version-1 state, a folder where the file should be, a file where the
// .workbook folder should be) is set aside, renamed, never deleted, and
// the state is rebuilt, with one line on stderr saying so.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
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

/** Reads the state; a missing file is a fresh state, a damaged one is set aside (and said so) first. */
export function readState(root: string): State {
  const file = statePath(root);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return empty();
    // EISDIR (state.json is a folder), ENOTDIR (.workbook is a file), EACCES...
    setAside(root, code === 'ENOTDIR' ? dirname(file) : file, code ?? 'unreadable');
    return empty();
  }
  const state = parseState(text);
  if (state) return state;
  setAside(root, file, 'not a progress file');
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

/** Writes the state; clears whatever stands in its way (set aside, not deleted) and retries once. */
export function writeState(root: string, state: State): void {
  const file = statePath(root);
  const dir = dirname(file);
  const temp = `${file}.${process.pid}.tmp`;
  const text = `${JSON.stringify(state, null, 2)}\n`;
  for (let attempt = 1; ; attempt++) {
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(temp, text);
      renameSync(temp, file);
      return;
    } catch (error) {
      rmSync(temp, { force: true });
      if (attempt > 1) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      if (!isDirectory(dir)) setAside(root, dir, code);
      else setAside(root, file, code);
    }
  }
}

/** Reads, changes and writes the state in one step. */
export function updateState(root: string, change: (state: State) => void): State {
  const state = readState(root);
  change(state);
  writeState(root, state);
  return state;
}

/**
 * The state held in memory for a long-running command (watch): read once,
 * written only when a change makes it differ from what is on disk.
 */
export class StateStore {
  #state: State;
  #written: string;
  constructor(readonly root: string) {
    this.#state = readState(root);
    this.#written = JSON.stringify(this.#state);
  }
  get state(): Readonly<State> {
    return this.#state;
  }
  update(change: (state: State) => void): void {
    change(this.#state);
    const now = JSON.stringify(this.#state);
    if (now === this.#written) return;
    writeState(this.root, this.#state);
    this.#written = now;
  }
}

/** The first exercise, in workbook order, that has not passed yet. */
export function currentExercise(workbook: Workbook, state: Readonly<State>): Exercise | undefined {
  return workbook.exercises.find((e) => !state.done.includes(e.id));
}

/** Renames `path` to `<path>.damaged-<time>` and says so in one line. */
function setAside(root: string, path: string, why: string): void {
  const aside = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const show = (p: string) => relative(root, p) || p;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  process.stderr.write(
    `Your progress file ${show(path)} was damaged (${why}); moved it to ${show(aside)} and started a new one (your code is untouched).\n`,
  );
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
