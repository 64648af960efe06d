import { resolve } from 'node:path';
import { defineCommand } from '../command.ts';
import { CLIError } from '../errors.ts';
import { defaultJobs } from '../grade/limits.ts';
import { mergeGrades } from '../grade/merge.ts';
import { createProgress } from '../grade/progress.ts';
import { grade } from '../grade/run.ts';
import { parseShard } from '../grade/submissions.ts';
import { say } from '../output.ts';
import { loadWorkbook } from '../workbook.ts';

export default defineCommand({
  name: 'grade',
  summary: "For instructors: grade a class's submissions, each in its own sandbox, into a gradebook and feedback.",
  usage:
    'npx workbook grade <submission ...> [options]\n       npx workbook grade merge <output folder ...> --out <folder>',
  args: [
    {
      name: 'submission',
      description: 'a folder with the lessons/ layout, a .zip or .tar.gz of one, or a roster .csv (student_id,path)',
    },
  ],
  options: {
    out: {
      type: 'string',
      valueName: 'DIR',
      description: 'where to write gradebook.csv, class-report.html, students/<id>/ (default: grades)',
    },
    lessons: {
      type: 'string',
      valueName: 'L',
      description: 'the lessons to grade, comma-separated (01,02); default: all',
    },
    jobs: {
      type: 'string',
      valueName: 'N',
      description: `submissions graded at once (default: two per core, one per 2 GiB of memory: ${defaultJobs()} here)`,
    },
    timeout: { type: 'string', valueName: 'S', description: 'wall time per submission, in seconds (default: 600)' },
    memory: { type: 'string', valueName: 'MB', description: 'memory per submission, in MiB (default: 2048)' },
    hidden: {
      type: 'string',
      valueName: 'DIR',
      description: 'hidden tests, laid out like lessons/ (NN-slug/<exercise>.test.ts)',
    },
    shard: {
      type: 'string',
      valueName: 'I/N',
      description: "grade only shard I of N of the id-sorted roster (join them with 'grade merge')",
    },
    resume: { type: 'boolean', description: 'skip submissions already graded and unchanged (the default)' },
    'no-resume': { type: 'boolean', description: 'grade everything again' },
    seed: {
      type: 'string',
      valueName: 'N',
      description: 'the seed for randomised tests (default: 1), recorded in grade.json',
    },
    assignment: {
      type: 'string',
      valueName: 'A',
      description: "the gradebook's assignment column (default: workbook)",
    },
    timestamp: {
      type: 'string',
      valueName: 'T',
      description: "the timestamp column for every row (default: each submission's newest file time)",
    },
  },
  footer:
    'See docs/GRADING.md. Exit code: 0 when every submission was graded, 1 when one timed out, crashed or was refused, 2 for a usage error.',
  async run({ values, positionals }) {
    const out = resolve(values.out ?? 'grades');
    if (positionals[0] === 'merge') {
      const count = mergeGrades(positionals.slice(1), out);
      say(`Merged ${count} students into ${out}/gradebook.csv.`);
      return 0;
    }
    const workbook = loadWorkbook();
    const str = (
      key: 'lessons' | 'jobs' | 'timeout' | 'memory' | 'hidden' | 'shard' | 'seed' | 'assignment' | 'timestamp',
    ) => values[key];
    const timestamp = str('timestamp');
    if (timestamp !== undefined && Number.isNaN(Date.parse(timestamp)))
      throw new CLIError(`--timestamp takes a date and time, for example 2026-12-01T09:00:00Z (got '${timestamp}').`);
    const records = await grade(
      workbook,
      {
        inputs: positionals,
        out,
        lessons: (str('lessons') ?? '').split(',').filter(Boolean),
        jobs: count('--jobs', str('jobs'), defaultJobs()),
        timeoutMs: count('--timeout', str('timeout'), 600) * 1000,
        memoryMb: count('--memory', str('memory'), 2048),
        hiddenDir: str('hidden') ? resolve(str('hidden')!) : undefined,
        shard: parseShard(str('shard')),
        resume: !values['no-resume'],
        seed: count('--seed', str('seed'), 1, 0),
        assignment: str('assignment') ?? 'workbook',
        timestamp: timestamp === undefined ? undefined : new Date(timestamp).toISOString(),
      },
      createProgress(),
    );
    say(`Gradebook: ${out}/gradebook.csv · class report: ${out}/class-report.html`);
    return records.some((r) => r.end !== 'graded') ? 1 : 0;
  },
});

function count(flag: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new CLIError(`${flag} takes a whole number of at least ${min} (got '${text}').`);
  return n;
}
