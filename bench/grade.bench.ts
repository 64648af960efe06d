// `workbook grade` beside the naive loop (`check --all --target` for each
// student, one after another) on the same generated class, in one run; then
// grade on half the class, to see how it scales. The class mixes the six
// kinds of submission (perfect, untouched starters, half done, an endless
// loop at import, one that tries to escape, files missing), each file made
// distinct per student where a student would have edited it (so only
// untouched lessons are alike), over every lesson in lesson.json.
//
// The full size (100 students x every lesson) takes hours on a 2-core
// machine, the naive loop most of it. Knobs, for a shared machine:
//   GRADE_BENCH_N=24           students in the class (default 100)
//   GRADE_BENCH_LESSONS=01,02  lessons (default: all)
//   GRADE_BENCH_NAIVE=1        run the naive loop on this many students of
//                              each kind only, and count the others at the
//                              mean time of their kind (default: all)
//   GRADE_BENCH_JOBS=4         grade --jobs (default: grade's own default)
//   GRADE_BENCH_SAMPLE=1       a sample that takes ~15 minutes on a quiet
//                              2-core machine: N=12, every lesson, NAIVE=1
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultJobs } from '../runner/grade/limits.ts';
import { type Lesson, loadWorkbook } from '../runner/workbook.ts';

const root = resolve(import.meta.dirname, '..');
const KINDS = ['perfect', 'starters', 'half', 'loop', 'escape', 'missing'] as const;
type Kind = (typeof KINDS)[number];

const AIM_RATIO = 3;
/** Twice the class in at most this many times the time: linear within 15% (or better). */
const AIM_SCALING = 2 * 1.15;

export default async function gradeBench(): Promise<void> {
  const sample = process.env.GRADE_BENCH_SAMPLE === '1';
  const n = Number(process.env.GRADE_BENCH_N) || (sample ? 12 : 100);
  const naivePerKind = Number(process.env.GRADE_BENCH_NAIVE) || (sample ? 1 : Number.POSITIVE_INFINITY);
  const jobs = Number(process.env.GRADE_BENCH_JOBS) || defaultJobs();
  const workbook = loadWorkbook(root);
  const wanted = (process.env.GRADE_BENCH_LESSONS ?? '').split(',').filter(Boolean);
  const lessons = workbook.lessons.filter((l) => wanted.length === 0 || wanted.includes(l.number));
  if (lessons.length === 0) throw new Error(`GRADE_BENCH_LESSONS=${process.env.GRADE_BENCH_LESSONS} names no lesson.`);
  const dir = mkdtempSync(join(tmpdir(), 'workbook-grade-bench-'));
  try {
    const subs = Array.from({ length: n }, (_, i) => makeSubmission(dir, i, lessons));
    const lessonArgs = lessons.map((l) => l.number);
    const naiveSubs = subs.filter((s) => s.nth < naivePerKind);
    const exercises = lessons.reduce((sum, l) => sum + l.exercises.length, 0);
    console.log(
      `scale: ${n} submissions (${KINDS.map((k) => `${subs.filter((s) => s.kind === k).length} ${k}`).join(', ')})` +
        ` x ${lessons.length} lessons (${lessonArgs.join(', ')}; ${exercises} exercises); ${availableParallelism()} cores; grade --jobs ${jobs}`,
    );
    console.log(
      naiveSubs.length === n
        ? `the naive loop runs all ${n} students one after another`
        : `the naive loop runs ${naiveSubs.length} of them (${naivePerKind} per kind) and counts the other ${n - naiveSubs.length} at the mean time of their kind`,
    );
    if (!sample && n * lessons.length > 100)
      console.log('(full size: hours on a 2-core machine; GRADE_BENCH_SAMPLE=1 measures a sample in ~15 minutes)');

    // The naive loop, timed per student, with an estimate of what is left.
    const perKind = new Map<Kind, number[]>();
    const naive = await measure(async () => {
      let done = 0;
      const started = performance.now();
      for (const sub of naiveSubs) {
        const t = performance.now();
        const code = await cli([
          'check',
          ...lessonArgs,
          '--target',
          sub.dir,
          '--out',
          join(dir, `naive-${sub.id}.json`),
        ]);
        if (code !== 0 && code !== 1) throw new Error(`check exited ${code} on ${sub.dir}`);
        perKind.set(sub.kind, [...(perKind.get(sub.kind) ?? []), performance.now() - t]);
        done++;
        const eta = ((performance.now() - started) / done) * (naiveSubs.length - done);
        console.log(
          `  naive ${done}/${naiveSubs.length} (${sub.kind}): ${s(performance.now() - t)}, ETA ${s(eta)} (${load()})`,
        );
      }
    });
    const mean = (k: Kind) => avg(perKind.get(k) ?? []);
    const naiveWall = subs.reduce((sum, sub) => sum + mean(sub.kind), 0);
    const scaleUp = naiveWall / naive.wall;
    console.log(
      `naive loop: ${s(naive.wall)} measured${scaleUp > 1.001 ? `, ${s(naiveWall)} for all ${n} (per-kind means)` : ''}` +
        `; CPU ${s(naive.cpu * scaleUp)} (${load()})`,
    );

    const full = await measure(() => timeGrade(subs, lessonArgs, jobs, join(dir, 'out-full')));
    console.log(`grade, ${n} submissions: ${s(full.wall)}, CPU ${s(full.cpu)} (${load()})`);
    const half = await measure(() =>
      timeGrade(subs.slice(0, Math.ceil(n / 2)), lessonArgs, jobs, join(dir, 'out-half')),
    );
    console.log(`grade, ${Math.ceil(n / 2)} submissions: ${s(half.wall)}, CPU ${s(half.cpu)} (${load()})`);

    // The same verdicts both ways: a loaded machine must not change a grade.
    const passedTests = (file: string): Set<string> =>
      new Set(
        (JSON.parse(readFileSync(file, 'utf8')) as { tests: Array<{ name: string; status: string }> }).tests
          .filter((t) => t.status === 'pass')
          .map((t) => t.name),
      );
    const differences = naiveSubs.flatMap((sub) => {
      const naivePassed = passedTests(join(dir, `naive-${sub.id}.json`));
      const gradePassed = passedTests(join(dir, 'out-full', 'students', sub.id, 'results.json'));
      const onlyNaive = [...naivePassed].filter((name) => !gradePassed.has(name));
      const onlyGrade = [...gradePassed].filter((name) => !naivePassed.has(name));
      if (onlyNaive.length + onlyGrade.length === 0) return [];
      const first = (names: string[]) => (names.length ? ` (first: ${names[0]})` : '');
      return [
        `    ${sub.id}: ${onlyNaive.length} pass only in the naive loop${first(onlyNaive)}, ${onlyGrade.length} only in grade${first(onlyGrade)}`,
      ];
    });
    console.log(
      `the same tests pass in grade as in the naive loop for ${naiveSubs.length - differences.length} of ${naiveSubs.length} students`,
    );
    for (const line of differences) console.log(line);
    const ratio = naiveWall / full.wall;
    const scaling = full.wall / half.wall;
    console.log(
      `grade is ${ratio.toFixed(2)}x faster than the naive loop in wall time (aim: >= ${AIM_RATIO}x): ${ratio >= AIM_RATIO ? 'MET' : 'NOT MET'}`,
    );
    console.log(
      `  and uses ${((naive.cpu * scaleUp) / full.cpu).toFixed(2)}x less CPU time (lessons shared unchanged are graded once)`,
    );
    // Linear or better: a fixed cost, and lessons graded once, make twice the class take less than twice the time.
    const linear = scaling <= AIM_SCALING;
    console.log(
      `twice the class takes ${scaling.toFixed(2)}x the wall time and ${(full.cpu / half.cpu).toFixed(2)}x the CPU time` +
        ` (aim: linear, at most 2x + 15%): ${linear ? 'MET' : 'NOT MET'}`,
    );
    if (naiveSubs.length < n || n < 100 || lessons.length < workbook.lessons.length)
      console.log(
        `(measured on a sample; the issue's aim is for 100 submissions x all ${workbook.lessons.length} lessons)`,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Submission {
  id: string;
  dir: string;
  kind: Kind;
  /** Its number among the students of its kind (0 for the first). */
  nth: number;
}

async function timeGrade(subs: Submission[], lessons: string[], jobs: number, out: string): Promise<void> {
  const args = ['grade', ...subs.map((x) => x.dir), '--lessons', lessons.join(','), '--out', out];
  const code = await cli([...args, '--jobs', String(jobs)]);
  const rows = readFileSync(join(out, 'gradebook.csv'), 'utf8').trim().split('\n').length - 1;
  if ((code !== 0 && code !== 1) || rows !== subs.length)
    throw new Error(`grade exited ${code} with ${rows} of ${subs.length} gradebook rows`);
}

/** Wall time, and the CPU time of the child processes it waited for (Linux; 0 elsewhere). */
async function measure(fn: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  const cpu = childCpu();
  const start = performance.now();
  await fn();
  return { wall: performance.now() - start, cpu: childCpu() - cpu };
}

function childCpu(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10; // cutime + cstime, in 10 ms ticks
  } catch {
    return 0;
  }
}

function cli(args: string[]): Promise<number> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(root, 'bin', 'workbook.js'), ...args],
      { cwd: root, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 2 ** 20 },
      (error) => done(error ? (typeof error.code === 'number' ? error.code : -1) : 0),
    );
  });
}

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const load = (): string => `load ${loadavg()[0]!.toFixed(2)}`;
const avg = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function makeSubmission(dir: string, i: number, lessons: Lesson[]): Submission {
  const kind = KINDS[i % KINDS.length]!;
  const id = `${kind}-${String(i).padStart(3, '0')}`;
  const sub = join(dir, 'class', id);
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
  return { id, dir: sub, kind, nth: Math.floor(i / KINDS.length) };
}
