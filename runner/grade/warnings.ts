// Type errors and review notes for `workbook grade`, worked out in the
// grader by one analysis thread for the whole class instead of in each
// submission's check: TypeScript keeps Node's type definitions parsed from
// one submission to the next (measured: a full submission's lessons cost
// 2-4 s of CPU warm, 8-9 s cold). As in a check, each lesson is analysed on
// its own and the warnings end its exercises' reports. TypeScript reads
// only the submission's folder in its copy and the type definitions, so
// that a type error cannot show an instructor's file.
import { join, resolve } from 'node:path';
import { type Analysis, Analyzer } from '../check/analyzer.ts';
import { formatWarnings } from '../check/report.ts';
import { plain } from '../output.ts';
import type { Lesson } from '../workbook.ts';
import { normalize } from './record.ts';
import type { SandboxPlan } from './sandbox.ts';
import type { ExercisePiece } from './stream.ts';

/** A lesson's analysis that takes longer gets no warnings (a cold one takes about 2 s). */
const LESSON_TIMEOUT_MS = 60_000;
/** The analysis thread's heap (it uses about 200 MB). */
const HEAP_MB = 1024;

export class ClassAnalysis {
  readonly #analyzer: Analyzer;
  /** The pristine workbook in the template: its tsconfig.json, and node_modules with the type definitions. */
  readonly #root: string;
  readonly #typeDefinitions: string;

  constructor(plan: SandboxPlan) {
    this.#root = join(plan.template, 'proj', plan.workbookRel);
    this.#typeDefinitions = join(plan.template, 'proj', 'node_modules');
    this.#analyzer = new Analyzer(this.#root, { grading: { timeoutMs: LESSON_TIMEOUT_MS, heapMb: HEAP_MB } });
  }

  /** Each exercise's warnings in `lessons` of the submission in `copy`, by exercise id. */
  async lessons(copy: string, lessons: Lesson[]): Promise<Map<string, Analysis>> {
    const readable = [join(copy, 'submission'), this.#typeDefinitions];
    const found = new Map<string, Analysis>();
    for (const lesson of lessons) {
      const files = lesson.exercises.map((e) => join(copy, 'submission', lesson.slug, e.file));
      const { types, notes } = await this.#analyzer.check(files, readable);
      lesson.exercises.forEach((e, i) => {
        const inFile = (d: { file: string }) => resolve(this.#root, d.file) === files[i];
        found.set(e.id, { types: types.filter(inFile), notes: notes.filter(inFile) });
      });
    }
    return found;
  }

  close(): Promise<void> {
    return this.#analyzer.close();
  }
}

/** `piece` with its warnings at the end of its report, as `workbook check` prints them (paths as in the copy's report). */
export function withWarnings(piece: ExercisePiece, analysis: Analysis | undefined, copy: string): ExercisePiece {
  const lines = analysis ? formatWarnings(analysis.types, analysis.notes) : [];
  if (lines.length === 0) return piece;
  const text = `${piece.report.text}\n${normalize(plain(lines.join('\n')), copy)}`;
  return { ...piece, report: { ...piece.report, text } };
}
