// The output folder: per-student files and records written as each
// submission finishes (records last, so a record means its files are
// complete), and the class-wide files rebuilt from the records.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIError } from '../errors.ts';
import { classReportHtml } from './class-report.ts';
import { writeAtomic } from './files.ts';
import type { GradeRecord } from './record.ts';
import { gradebookCsv } from './reports.ts';

/** What a run was graded with; merged runs must agree on it. */
export interface RunInfo {
  assignment: string;
  lessons: string[];
  seed: number;
  /** A hash of the tests, given files, hidden tests, points and seed. */
  gradingKey: string;
  isolation: string;
}

export function recordFile(out: string, student: string): string {
  return join(out, 'records', `${student}.json`);
}

export function readRecord(out: string, student: string): GradeRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordFile(out, student), 'utf8')) as GradeRecord;
  } catch {
    return undefined; // none yet, or torn by a crash before the rename: graded again
  }
}

export function readRecords(out: string): GradeRecord[] {
  const dir = join(out, 'records');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => {
      const r = readRecord(out, f.slice(0, -5));
      return r ? [r] : [];
    });
}

export function writeStudentFiles(out: string, student: string, files: Record<string, string>): void {
  const dir = join(out, 'students', student);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeAtomic(join(dir, name), text);
}

export function writeRecord(out: string, record: GradeRecord): void {
  writeAtomic(recordFile(out, record.student), JSON.stringify(record, null, 2) + '\n');
}

export function readRunInfo(out: string): RunInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(out, 'grade.json'), 'utf8')) as RunInfo;
  } catch {
    return undefined;
  }
}

export function writeRunInfo(out: string, info: RunInfo): void {
  writeAtomic(join(out, 'grade.json'), JSON.stringify(info, null, 2) + '\n');
}

/** The gradebook (after every submission) and, with `report`, the class report, from every record in `out`. */
export function writeClassFiles(out: string, info: RunInfo, records: GradeRecord[], report = true): void {
  writeAtomic(join(out, 'gradebook.csv'), gradebookCsv(records, info));
  if (report) writeAtomic(join(out, 'class-report.html'), classReportHtml(records, info));
}

/** Checks that an output folder from another run can be merged with `info`. */
export function assertSameGrading(dir: string, info: RunInfo | undefined, other: RunInfo | undefined): void {
  if (!other) throw new CLIError(`${dir} holds no grade.json: it is not the output of 'workbook grade'.`);
  if (info && (info.gradingKey !== other.gradingKey || info.assignment !== other.assignment))
    throw new CLIError(
      `${dir} was graded with other tests, lessons, seed or assignment than the first folder; shards must be graded alike.`,
    );
}
