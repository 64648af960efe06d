// `workbook grade` beside the naive loop (`check --all --target` for each
// student, one after another) on the same generated class, in one run; then
// grade on half the class, to see how it scales. The class mixes the six
// kinds of submission (perfect, untouched starters, half done, an endless
// loop at import, one that tries to escape, files missing), each file made
// distinct per student where a student would have edited it (so no two
// submissions hash alike), over every lesson in lesson.json.
// GRADE_BENCH_N (default 100) and GRADE_BENCH_LESSONS (default all, e.g. 01,02)
// make it smaller for a shared machine.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadWorkbook } from '../runner/workbook.ts';

const root = resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const KINDS = ['perfect', 'starters', 'half', 'loop', 'escape', 'missing'] as const;

export default async function gradeBench(): Promise<void> {
  const n = Number(process.env.GRADE_BENCH_N) || 100;
  const workbook = loadWorkbook(root);
  const wanted = (process.env.GRADE_BENCH_LESSONS ?? '').split(',').filter(Boolean);
  const lessons = workbook.lessons.filter((l) => wanted.length === 0 || wanted.includes(l.number));
  const dir = mkdtempSync(join(tmpdir(), 'workbook-grade-bench-'));
  try {
    const subs = Array.from({ length: n }, (_, i) => makeSubmission(dir, i, lessons));
    const lessonArgs = lessons.map((l) => l.number);
    console.log(
      `${n} submissions x ${lessons.length} lessons (${lessonArgs.join(', ')}); ${availableParallelism()} cores`,
    );
    const load = () => `load ${loadavg()[0]!.toFixed(2)}`;
    const naiveStart = performance.now();
    for (const sub of subs) await cli(['check', ...lessonArgs, '--target', sub]);
    const naive = performance.now() - naiveStart;
    console.log(`naive loop (check per student, one after another): ${(naive / 1000).toFixed(1)} s (${load()})`);
    const full = await timeGrade(subs, lessonArgs, join(dir, 'out-full'));
    console.log(
      `grade, ${n} submissions: ${(full / 1000).toFixed(1)} s (${load()}): ${(naive / full).toFixed(2)}x the naive loop (aim: 3x)`,
    );
    const half = await timeGrade(subs.slice(0, Math.ceil(n / 2)), lessonArgs, join(dir, 'out-half'));
    console.log(
      `grade, ${Math.ceil(n / 2)} submissions: ${(half / 1000).toFixed(1)} s (${load()}): ${(full / half).toFixed(2)}x for twice the class (linear: 2x)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeGrade(subs: string[], lessons: string[], out: string): Promise<number> {
  const start = performance.now();
  await cli(['grade', ...subs, '--lessons', lessons.join(','), '--out', out, '--timeout', '300']);
  return performance.now() - start;
}

async function cli(args: string[]): Promise<void> {
  await run(process.execPath, [join(root, 'bin', 'workbook.js'), ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 64 * 2 ** 20,
  }).catch(() => {}); // failing submissions exit 1
}

function makeSubmission(dir: string, i: number, lessons: ReturnType<typeof loadWorkbook>['lessons']): string {
  const kind = KINDS[i % KINDS.length]!;
  const sub = join(dir, 'class', `${kind}-${String(i).padStart(3, '0')}`);
  lessons.forEach((lesson, li) => {
    const to = join(sub, lesson.slug);
    mkdirSync(to, { recursive: true });
    lesson.exercises.forEach((e, ei) => {
      const solved = join(root, 'solutions', lesson.slug, e.file);
      const start = join(lesson.dir, e.file);
      const target = join(to, e.file);
      const edited = (from: string) => {
        cpSync(from, target);
        writeFileSync(target, `// ${kind} ${i}\n`, { flag: 'a' });
      };
      if (kind === 'perfect') edited(solved);
      else if (kind === 'starters') cpSync(start, target);
      else if (kind === 'half') ei % 2 === 0 ? edited(solved) : cpSync(start, target);
      else if (kind === 'missing') {
        if (ei % 2 === 0 && existsSync(solved)) edited(solved);
      } else if (kind === 'loop') {
        edited(solved);
        if (li === 0 && ei === 0) writeFileSync(target, `while (true) {}\n// ${i}\n`, { flag: 'w' });
      } else {
        cpSync(start, target);
        if (li === 0 && ei === 0)
          writeFileSync(
            target,
            `import { readFileSync } from 'node:fs';\ntry { readFileSync('../../solutions/${lesson.slug}/${e.file}'); } catch {}\n// ${i}\n${readFileSync(start)}`,
          );
      }
    });
  });
  return sub;
}
