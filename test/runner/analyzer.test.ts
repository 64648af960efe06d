// The analyzer as `workbook grade` uses it: one worker for many requests
// at once, each answered (watch mode keeps only the newest), and reads
// confined to the folders a request names.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Analyzer } from '../../runner/check/analyzer.ts';
import { repoRoot } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'workbook-analyzer-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, text: string): string {
  const file = join(dir, path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

// Loading TypeScript and Node's type definitions takes seconds on a loaded machine.
describe('the analyzer for grading', { timeout: 120_000 }, () => {
  it('answers every request made while one is under way, each with its own file’s type errors', async () => {
    const files = [1, 2, 3].map((n) => write(`many/s${n}/a.ts`, `export const n${n}: number = 'not ${n}';\n`));
    const analyzer = new Analyzer(repoRoot, { grading: { timeoutMs: 60_000, heapMb: 1024 } });
    try {
      const found = await Promise.all(files.map((f) => analyzer.check([f])));
      for (const [i, analysis] of found.entries()) {
        expect(analysis.types.map((d) => [d.file, d.message])).toEqual([
          [files[i], "Type 'string' is not assignable to type 'number'."],
        ]);
      }
    } finally {
      await analyzer.close();
    }
  });

  it('reads only in the folders a request names: a type outside them is not found', async () => {
    const secret = write('instructor/secret.ts', 'export function secretAnswer(a: number): number {\n  return a;\n}\n');
    const file = write(
      'student/lessons/a.ts',
      `export const leak: string = null as unknown as typeof import(${JSON.stringify(secret)}).secretAnswer;\n`,
    );
    const analyzer = new Analyzer(repoRoot, { grading: { timeoutMs: 60_000, heapMb: 1024 } });
    try {
      const open = await analyzer.check([file]);
      expect(open.types.map((d) => d.message).join('\n')).toContain('(a: number) => number');
      const confined = await analyzer.check([file], [join(dir, 'student')]);
      const messages = confined.types.map((d) => d.message).join('\n');
      expect(messages).toContain(`Cannot find module '${secret}'`);
      expect(messages).not.toContain('(a: number) => number');
      // Node's type definitions are read where a request allows them: a Buffer is known.
      const node = write('student/lessons/b.ts', "export const size: string = Buffer.from('x').length;\n");
      const withNode = await analyzer.check([node], [join(dir, 'student'), join(repoRoot, 'node_modules')]);
      expect(withNode.types.map((d) => d.message)).toEqual(["Type 'number' is not assignable to type 'string'."]);
    } finally {
      await analyzer.close();
    }
  });
});
