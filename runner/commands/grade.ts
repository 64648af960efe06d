import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { defineCommand } from '../command.ts';
import { CLIError } from '../errors.ts';
import { mergeGrades } from '../grade/merge.ts';
import { createProgress } from '../grade/progress.ts';
import { grade } from '../grade/run.ts';
import { parseShard } from '../grade/submissions.ts';
import { say } from '../output.ts';
import { loadWorkbook } from '../workbook.ts';

export default defineCommand({
  name: 'grade',
  summary: "For instructors: grade a class's submissions, each in its own sandbox, into a gradebook and feedback.",
  help: `Usage: npx workbook grade <submission ...> [options]
       npx workbook grade merge <output folder ...> --out <folder>

  submission       a folder with the lessons/ layout, a .zip or .tar.gz of one,
                   or a roster .csv with the columns student_id,path
  --out DIR        where to write gradebook.csv, class-report.html, students/<id>/ (default: grades)
  --lessons L      the lessons to grade, comma-separated (01,02); default: all
  --jobs N         submissions graded at once (default: the cores, ${availableParallelism()} here)
  --timeout S      wall time per submission, in seconds (default: 600)
  --memory MB      memory per submission, in MiB (default: 2048)
  --hidden DIR     hidden tests, laid out like lessons/ (NN-slug/<exercise>.test.ts)
  --shard I/N      grade only shard I of N of the id-sorted roster (join them with 'grade merge')
  --no-resume      grade everything again (default: skip submissions already graded and unchanged)
  --seed N         the seed for randomised tests (default: 1), recorded in grade.json
  --assignment A   the gradebook's assignment column (default: workbook)
  --timestamp T    the timestamp column for every row (default: each submission's newest file time)

See docs/GRADING.md. Exit code: 0 when every submission was graded, 1 when one timed out,
crashed or was refused, 2 for a usage error.`,
  options: {
    out: { type: 'string' },
    lessons: { type: 'string' },
    jobs: { type: 'string' },
    timeout: { type: 'string' },
    memory: { type: 'string' },
    hidden: { type: 'string' },
    shard: { type: 'string' },
    resume: { type: 'boolean' },
    'no-resume': { type: 'boolean' },
    seed: { type: 'string' },
    assignment: { type: 'string' },
    timestamp: { type: 'string' },
  },
  async run({ values, positionals }) {
    const out = resolve(typeof values.out === 'string' ? values.out : 'grades');
    if (positionals[0] === 'merge') {
      const count = mergeGrades(positionals.slice(1), out);
      say(`Merged ${count} students into ${out}/gradebook.csv.`);
      return 0;
    }
    const workbook = loadWorkbook();
    const str = (key: string) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
    const timestamp = str('timestamp');
    if (timestamp !== undefined && Number.isNaN(Date.parse(timestamp)))
      throw new CLIError(`--timestamp takes a date and time, for example 2026-12-01T09:00:00Z (got '${timestamp}').`);
    const records = await grade(
      workbook,
      {
        inputs: positionals,
        out,
        lessons: (str('lessons') ?? '').split(',').filter(Boolean),
        jobs: count('--jobs', str('jobs'), availableParallelism()),
        timeoutMs: count('--timeout', str('timeout'), 600) * 1000,
        memoryMb: count('--memory', str('memory'), 2048),
        hiddenDir: str('hidden') ? resolve(str('hidden')!) : undefined,
        shard: parseShard(str('shard')),
        resume: values['no-resume'] !== true,
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
