// A submission made ready to grade, before grading starts: where its
// NN-slug folders are and its timestamp. An archive is unpacked (refused
// whole if unsafe) and only its exercise files are kept, so a class of
// archives takes little disk while it waits its turn.
import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Lesson } from '../workbook.ts';
import { ArchiveError, unpack } from './archive.ts';
import { isDir } from './files.ts';
import { exerciseEntries } from './inputs.ts';
import { type Submission, findLessonsDir } from './submissions.ts';

export type Prepared =
  | { kind: 'ready'; submission: Submission; lessonsDir: string; timestamp: string; cleanup?: string }
  | { kind: 'missing'; submission: Submission }
  | { kind: 'refused'; submission: Submission; problem: string; timestamp: string };

/** `base`: a folder of the run's own, where an archive's exercise files are kept until it is graded. */
export async function prepare(s: Submission, lessons: Lesson[], base: string, timestamp?: string): Promise<Prepared> {
  if (s.problem) return { kind: 'missing', submission: s };
  if (isDir(s.source)) {
    const lessonsDir = findLessonsDir(s.source);
    const stamp = timestamp ?? newestMtime(exerciseEntries(lessonsDir, lessons).map((e) => e.path));
    return { kind: 'ready', submission: s, lessonsDir, timestamp: stamp };
  }
  const stamp = timestamp ?? statSync(s.source).mtime.toISOString();
  const unpacked = join(base, `unpacked-${s.id}`);
  const kept = join(base, `kept-${s.id}`);
  try {
    await unpack(s.source, unpacked);
    const from = findLessonsDir(unpacked);
    for (const entry of exerciseEntries(from, lessons)) {
      mkdirSync(join(kept, entry.name, '..'), { recursive: true });
      cpSync(entry.path, join(kept, entry.name));
    }
    mkdirSync(kept, { recursive: true });
    return { kind: 'ready', submission: s, lessonsDir: kept, timestamp: stamp, cleanup: kept };
  } catch (error) {
    if (!(error instanceof ArchiveError)) throw error;
    return {
      kind: 'refused',
      submission: s,
      problem: `${s.source.split('/').pop()} ${error.message}`,
      timestamp: stamp,
    };
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
}

/** The newest modification time, to the second, of `files` ('' for none). */
function newestMtime(files: string[]): string {
  const times = files.map((f) => Math.floor(statSync(f).mtimeMs / 1000) * 1000);
  return times.length ? new Date(Math.max(...times)).toISOString() : '';
}
