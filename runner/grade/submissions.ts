// What to grade: the command's arguments (folders, archives, roster CSVs)
// turned into a sorted list of submissions with a student id each, and the
// deterministic share of it one shard grades.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CLIError } from '../errors.ts';
import { LESSON_FOLDER } from '../lesson-json.ts';
import { isArchive } from './archive.ts';
import { isDir, isFile } from './files.ts';

export interface Submission {
  /** The student's id: the roster's student_id, or the folder or archive name. */
  id: string;
  /** The folder or archive, absolute. */
  source: string;
  /** Set when the source cannot be graded at all (a roster row whose folder is missing). */
  problem?: string;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._@+-]*$/;

/** The submissions named by `inputs`, sorted by id; a duplicate id is a usage error. */
export function collectSubmissions(inputs: string[], cwd = process.cwd()): Submission[] {
  if (inputs.length === 0)
    throw new CLIError('Name the submissions to grade: folders, .zip/.tar.gz archives or a roster .csv.');
  const found: Submission[] = [];
  for (const input of inputs) {
    const path = resolve(cwd, input);
    if (/\.csv$/i.test(path)) found.push(...readRoster(path));
    else if (isDir(path) || (isFile(path) && isArchive(path))) found.push({ id: idFromName(path), source: path });
    else if (isFile(path)) throw new CLIError(`${input} is not a folder, a .zip/.tar.gz archive or a roster .csv.`);
    else throw new CLIError(`${input} does not exist.`);
  }
  const seen = new Map<string, string>();
  for (const s of found) {
    const other = seen.get(s.id);
    if (other) throw new CLIError(`Two submissions have the student id '${s.id}': ${other} and ${s.source}.`);
    seen.set(s.id, s.source);
  }
  return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A roster: a header `student_id,path`, then one row per student; paths are relative to the CSV. */
export function readRoster(file: string): Submission[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CLIError(`The roster ${file} cannot be read: ${(error as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim().toLowerCase());
  const idCol = header.indexOf('student_id');
  const pathCol = header.indexOf('path');
  if (idCol < 0 || pathCol < 0)
    throw new CLIError(`The roster ${file} needs a first line 'student_id,path' (it has '${header.join(',')}').`);
  return lines.map((line, i) => {
    const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    const id = cells[idCol] ?? '';
    const rel = cells[pathCol] ?? '';
    if (!SAFE_ID.test(id))
      throw new CLIError(
        `${file}:${i + 2}: the student id '${id}' must be letters, digits and . _ @ + - (it names a folder).`,
      );
    if (!rel) throw new CLIError(`${file}:${i + 2}: student ${id} has no path.`);
    const source = resolve(dirname(file), rel);
    const usable = isDir(source) || (isFile(source) && isArchive(source));
    return usable ? { id, source } : { id, source, problem: `the submission ${rel} was not found` };
  });
}

function idFromName(path: string): string {
  const name = basename(path).replace(/\.(zip|tar\.gz|tgz|tar)$/i, '');
  return name.replace(/[^A-Za-z0-9._@+-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'student';
}

/** Parses `--shard i/n`. */
export function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count)
    throw new CLIError(`--shard takes i/n with 1 <= i <= n, for example --shard 2/4 (got '${text}').`);
  return { index, count };
}

/** Shard i of n: every n-th submission of the id-sorted list, so each lands in exactly one shard. */
export function shardOf<T>(sorted: T[], shard: { index: number; count: number } | undefined): T[] {
  return shard ? sorted.filter((_, i) => i % shard.count === shard.index - 1) : sorted;
}

/**
 * The folder in an unpacked submission that holds the lesson folders: the
 * folder itself, its lessons/, or the same inside a single top folder (as
 * archives from a classroom often are).
 */
export function findLessonsDir(dir: string, depth = 0): string {
  if (isDir(join(dir, 'lessons'))) return join(dir, 'lessons');
  let entries: string[];
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== '__MACOSX')
      .map((e) => e.name);
  } catch {
    return dir;
  }
  if (entries.some((n) => LESSON_FOLDER.test(n))) return dir;
  if (entries.length === 1 && depth < 3) return findLessonsDir(join(dir, entries[0]!), depth + 1);
  return dir;
}
