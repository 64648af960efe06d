// A submission's sandbox on disk: the run's temporary folder, the template
// every copy starts from, and one fresh copy per submission holding the
// pristine tests, kit and given files and the submission's exercise files
// only. Layout of one copy:
//   proj/      runner/, bin/, package.json, the workbook's lessons/ without
//              exercise files, node_modules -> the workbook's (read-only)
//   submission/NN-slug/<exercise files>   the only thing from the student
//   hidden/    the same as proj/, with the hidden tests (second run only)
//   home/ tmp/ out/
// With namespaces, proj/ and hidden/ are the template's, mounted read-only
// in the child's mount namespace (runner/grade/namespace.ts), not copies.
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lesson, Workbook } from '../workbook.ts';
import type { Isolation } from './limits.ts';

/** An exercise file larger than this is not taken (it is not a learner's program). */
const MAX_EXERCISE_BYTES = 1024 * 1024;

export interface SandboxPlan {
  projectRoot: string;
  workbook: Workbook;
  lessons: Lesson[];
  /** Where the workbook sits inside the project ('' for the workbook itself; the fixture is nested). */
  workbookRel: string;
  /** The run's temporary folder: one template, one copy per running submission. */
  base: string;
  template: string;
  /** Hidden tests: their folder, and per lesson slug the test files found there. */
  hidden?: { dir: string; files: Map<string, string[]> };
  isolation: Isolation;
  timeoutMs: number;
  memoryMb: number;
  seed: number;
  /** Paths a submission must not see (solutions, instructor folders, other students). */
  masks: string[];
}

export type PlanInput = Omit<SandboxPlan, 'base' | 'template'>;

/** Makes the run's temporary folder and the template every copy starts from. */
export function createPlan(input: PlanInput): SandboxPlan {
  removeStaleRuns();
  const base = mkdtempSync(join(tmpdir(), 'workbook-grade-'));
  writeFileSync(join(base, 'pid'), String(process.pid));
  const plan: SandboxPlan = { ...input, base, template: join(base, 'template') };
  buildTree(plan, join(plan.template, 'proj'), false);
  if (plan.hidden) buildTree(plan, join(plan.template, 'hidden'), true);
  return plan;
}

export function removePlan(plan: SandboxPlan): void {
  rmSync(plan.base, { recursive: true, force: true });
}

/**
 * Whether the exercise file at `path` is taken from a submission: only a
 * regular file (a link could point at anything on the machine) of at most 1 MiB.
 */
export function isTaken(path: string): boolean {
  try {
    const stat = lstatSync(path);
    return stat.isFile() && stat.size <= MAX_EXERCISE_BYTES;
  } catch {
    return false;
  }
}

/**
 * A fresh copy for one submission, with its exercise files; returns the
 * copy's folder. With namespaces, proj/ is left empty: the child mounts the
 * template's there, read-only, so nothing is copied.
 */
export async function createCopy(plan: SandboxPlan, submissionLessons: string): Promise<string> {
  const copy = await mkdtemp(join(plan.base, 'sub-'));
  const proj = join(plan.template, 'proj', plan.workbookRel, 'lessons');
  if (plan.isolation === 'namespace') await mkdir(join(copy, 'proj'));
  else await cp(join(plan.template, 'proj'), join(copy, 'proj'), { recursive: true, verbatimSymlinks: true });
  for (const dir of ['submission', 'home', 'tmp', 'out']) await mkdir(join(copy, dir));
  for (const lesson of plan.lessons) {
    const to = join(copy, 'submission', lesson.slug);
    await mkdir(to);
    // The given files too, so the type check finds them (the tests import the pristine ones anyway).
    for (const entry of readdirSync(join(proj, lesson.slug)))
      if (entry.endsWith('.ts') && !entry.endsWith('.test.ts'))
        await cp(join(proj, lesson.slug, entry), join(to, entry));
    for (const exercise of lesson.exercises) {
      const from = join(submissionLessons, lesson.slug, exercise.file);
      if (isTaken(from)) await cp(from, join(to, exercise.file), { preserveTimestamps: true });
    }
  }
  return copy;
}

/** Puts the hidden tests into a copy, after the visible run (so that run cannot read them). */
export async function addHiddenTests(plan: SandboxPlan, copy: string): Promise<void> {
  if (plan.isolation === 'namespace') await mkdir(join(copy, 'hidden'));
  else await cp(join(plan.template, 'hidden'), join(copy, 'hidden'), { recursive: true, verbatimSymlinks: true });
}

export async function removeCopy(copy: string): Promise<void> {
  await rm(copy, { recursive: true, force: true });
}

/** Removes the temporary folders of runs that were killed (kill -9 leaves them); their pid is gone. */
function removeStaleRuns(): void {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith('workbook-grade-'))) {
    const dir = join(tmpdir(), name);
    try {
      process.kill(Number(readFileSync(join(dir, 'pid'), 'utf8')), 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** The runner and the pristine lessons, without exercise files; with `hidden`, the hidden tests instead. */
function buildTree(plan: SandboxPlan, dest: string, hidden: boolean): void {
  const { projectRoot, workbook } = plan;
  mkdirSync(dest, { recursive: true });
  for (const name of ['runner', 'bin', 'package.json', 'tsconfig.json']) {
    const from = join(projectRoot, name);
    if (existsSync(from)) cpSync(from, join(dest, name), { recursive: true });
  }
  symlinkSync(join(projectRoot, 'node_modules'), join(dest, 'node_modules'));
  const root = join(dest, plan.workbookRel);
  if (plan.workbookRel) {
    mkdirSync(root, { recursive: true });
    cpSync(join(workbook.root, 'package.json'), join(root, 'package.json'));
  }
  for (const lesson of plan.lessons) {
    const exerciseFiles = new Set(lesson.exercises.map((e) => e.file));
    const tests = new Set(lesson.exercises.map((e) => e.test));
    const to = join(root, 'lessons', lesson.slug);
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(lesson.dir, { withFileTypes: true })) {
      if (!entry.isFile() || exerciseFiles.has(entry.name)) continue;
      if (hidden && tests.has(entry.name)) continue; // the hidden run runs hidden tests only
      cpSync(join(lesson.dir, entry.name), join(to, entry.name));
    }
    if (hidden) {
      for (const test of plan.hidden!.files.get(lesson.slug) ?? [])
        cpSync(join(plan.hidden!.dir, lesson.slug, test), join(to, test));
    }
  }
}
