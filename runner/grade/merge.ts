// `workbook grade merge <dirs...> --out <dir>`: joins the output folders of
// shards into one, as if one machine had graded the whole roster.
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLIError } from '../errors.ts';
import { assertSameGrading, readRecords, readRunInfo, type RunInfo, writeClassFiles, writeRunInfo } from './store.ts';

export function mergeGrades(dirs: string[], out: string): number {
  if (dirs.length === 0)
    throw new CLIError('Name the output folders to merge: npx workbook grade merge shard-1 shard-2 --out grades');
  let info: RunInfo | undefined;
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    const other = readRunInfo(dir);
    assertSameGrading(dir, info, other);
    info ??= other;
    for (const record of readRecords(dir)) {
      const first = seen.get(record.student);
      if (first && resolve(first) !== resolve(dir))
        throw new CLIError(
          `Student ${record.student} was graded in both ${first} and ${dir}: were the shards made alike?`,
        );
      seen.set(record.student, dir);
    }
  }
  mkdirSync(out, { recursive: true });
  for (const dir of dirs) {
    if (resolve(dir) === resolve(out)) continue;
    for (const sub of ['students', 'records'])
      if (existsSync(join(dir, sub)))
        for (const name of readdirSync(join(dir, sub)))
          cpSync(join(dir, sub, name), join(out, sub, name), { recursive: true });
  }
  writeRunInfo(out, info!);
  writeClassFiles(out, info!, readRecords(out));
  return seen.size;
}
