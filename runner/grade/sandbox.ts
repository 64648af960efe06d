// A submission's sandbox: a fresh temporary copy of the workbook holding
// the pristine tests, kit and given files and the submission's exercise
// files only, and the child process that runs `workbook check` in it
// under a time and memory limit. Layout of one copy:
//   proj/      runner/, bin/, package.json, the workbook's lessons/ without
//              exercise files, node_modules -> the workbook's (read-only)
//   submission/NN-slug/<exercise files>   the only thing from the student
//   hidden/    the same as proj/, with the hidden tests (second run only)
//   home/ tmp/ out/
import { spawn } from 'node:child_process';
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
import { join, relative } from 'node:path';
import type { Lesson, Workbook } from '../workbook.ts';
import { type Isolation, UNSHARE_ARGS, groupMemory, killGroup } from './limits.ts';

/** An exercise file larger than this is not copied (it is not a learner's program). */
const MAX_EXERCISE_BYTES = 1024 * 1024;
/** What is kept of a child's stdout and stderr. */
const MAX_OUTPUT = 2 * 1024 * 1024;

export interface SandboxPlan {
  projectRoot: string;
  workbook: Workbook;
  lessons: Lesson[];
  /** Where the workbook sits inside the project ('' for the workbook itself; the fixture is nested). */
  workbookRel: string;
  /** The run's temporary folder: one template, one copy per running submission. */
  base: string;
  template: string;
  /** Hidden tests, per lesson slug: [file in the hidden folder, the exercise's test name]. */
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

export function removePlan(plan: SandboxPlan): void {
  rmSync(plan.base, { recursive: true, force: true });
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

/** A fresh copy for one submission, with its exercise files; returns the copy's folder. */
export function createCopy(plan: SandboxPlan, submissionLessons: string | undefined): string {
  const copy = mkdtempSync(join(plan.base, 'sub-'));
  cpSync(join(plan.template, 'proj'), join(copy, 'proj'), { recursive: true, verbatimSymlinks: true });
  for (const dir of ['submission', 'home', 'tmp', 'out']) mkdirSync(join(copy, dir));
  for (const lesson of plan.lessons) {
    const to = join(copy, 'submission', lesson.slug);
    mkdirSync(to);
    // The given files too, so the type check finds them (the tests import the pristine ones anyway).
    for (const entry of readdirSync(join(copy, 'proj', plan.workbookRel, 'lessons', lesson.slug)))
      if (entry.endsWith('.ts') && !entry.endsWith('.test.ts'))
        cpSync(join(copy, 'proj', plan.workbookRel, 'lessons', lesson.slug, entry), join(to, entry));
    if (!submissionLessons) continue;
    for (const exercise of lesson.exercises) {
      const from = join(submissionLessons, lesson.slug, exercise.file);
      // Only regular files: a link could point at anything on the machine.
      const stat = lstatOrUndefined(from);
      if (!stat?.isFile() || stat.size > MAX_EXERCISE_BYTES) continue;
      cpSync(from, join(copy, 'submission', lesson.slug, exercise.file), { preserveTimestamps: true });
    }
  }
  return copy;
}

/** Puts the hidden tests into a copy, after the visible run (so that run cannot read them). */
export function addHiddenTests(plan: SandboxPlan, copy: string): void {
  cpSync(join(plan.template, 'hidden'), join(copy, 'hidden'), { recursive: true, verbatimSymlinks: true });
}

export interface ChildRun {
  /** 'exited' with its code, or stopped by a limit. */
  end: 'exited' | 'timeout' | 'memory';
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs `workbook check` in `copy`: against the visible tests (tree 'proj')
 * or the hidden ones ('hidden'), with `checkArgs` after the exercise list.
 */
export function runCheck(
  plan: SandboxPlan,
  copy: string,
  tree: 'proj' | 'hidden',
  checkArgs: string[],
): Promise<ChildRun> {
  const lessonNumbers = plan.lessons.map((l) => l.number);
  const node = [process.execPath, join(copy, 'proj', 'bin', 'workbook.js'), 'check', ...lessonNumbers];
  const args = [...node, '--target', join(copy, 'submission'), ...checkArgs];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: join(copy, 'home'),
    TMPDIR: join(copy, 'tmp'),
    NO_COLOR: '1',
    WORKBOOK_ROOT: join(copy, tree, plan.workbookRel),
    WORKBOOK_SEED: String(plan.seed),
    NODE_OPTIONS: `--max-old-space-size=${plan.memoryMb}`,
    ...(process.env.WORKBOOK_STALL_MS ? { WORKBOOK_STALL_MS: process.env.WORKBOOK_STALL_MS } : {}),
  };
  const [command, ...rest] =
    plan.isolation === 'namespace'
      ? [
          'unshare',
          ...UNSHARE_ARGS,
          'sh',
          '-c',
          `${namespaceScript(plan, copy, tree)}\n${WATCHDOG}`,
          'sandbox',
          ...args,
        ]
      : ['sh', '-c', WATCHDOG, 'sandbox', ...args];
  return new Promise((resolve) => {
    const started = performance.now();
    // detached: the child leads its own process group, so kill(-pid) ends everything it started.
    const child = spawn(command!, rest, { cwd: copy, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => {}); // nothing is ever written: the pipe only tells the watchdog we live
    const out = { stdout: '', stderr: '' };
    const collect = (key: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (out[key].length < MAX_OUTPUT) out[key] += chunk.toString('utf8');
    };
    child.stdout.on('data', collect('stdout'));
    child.stderr.on('data', collect('stderr'));
    let end: ChildRun['end'] = 'exited';
    const pgid = child.pid!;
    const timer = setTimeout(() => {
      end = 'timeout';
      killGroup(pgid);
    }, plan.timeoutMs);
    // The heap flag limits the main thread only; the whole group's resident memory is watched here.
    const watch = setInterval(() => {
      if (groupMemory(pgid) > plan.memoryMb * 2 ** 20 * 1.5) {
        end = 'memory';
        killGroup(pgid);
      }
    }, 200);
    child.on('error', (error) => {
      out.stderr += `${error.message}\n`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watch);
      child.stdin.destroy();
      killGroup(pgid); // whatever the child left running
      if (end === 'exited' && signal === null && code !== null && code > 2 && /heap out of memory/i.test(out.stderr))
        end = 'memory';
      resolve({ end, code, ...out, ms: performance.now() - started });
    });
  });
}

/**
 * Runs the check with a watchdog on stdin: if this process dies (even by
 * kill -9) the pipe closes, and the watchdog kills the child's whole group,
 * so an orphaned submission never runs on without its limits.
 */
// (A background job's stdin is /dev/null unless redirected, hence fd 4.)
const WATCHDOG = 'exec 4<&0\n( cat <&4 >/dev/null; kill -9 0 ) &\nexec 4<&-\n"$@" </dev/null';

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Inside the namespaces: loopback up; instructor paths, /dev/shm and the
 * other copies hidden under empty tmpfs; the whole file system read-only
 * except this copy's submission, home, tmp and out; then exec the check.
 */
function namespaceScript(plan: SandboxPlan, copy: string, tree: 'proj' | 'hidden'): string {
  const lines = ['set -e', 'ip link set lo up', 'mount --make-rprivate /', `exec 3< ${quote(copy)}`];
  for (const mask of plan.masks) {
    const stat = lstatOrUndefined(mask);
    if (!stat || relative(mask, copy) === '' || !relative(mask, plan.base).startsWith('..')) continue;
    if (stat.isDirectory()) lines.push(`mount -t tmpfs -o size=16k,mode=755 none ${quote(mask)}`);
    else if (stat.isFile()) lines.push(`mount --bind /dev/null ${quote(mask)}`);
  }
  lines.push(
    'mount -t tmpfs -o size=16k none /dev/shm',
    `mount -t tmpfs -o size=16k none ${quote(plan.base)}`,
    `mkdir -p ${quote(copy)}`,
    // The copy is reached through the open descriptor: its path is under the tmpfs now.
    `mount --no-canonicalize --bind /proc/self/fd/3 ${quote(copy)}`,
    'exec 3<&-',
    `cd ${quote(copy)}`,
    'mount -o remount,bind,ro /',
    'mount --bind -o ro proj proj',
    ...(tree === 'hidden' ? ['mount --bind -o ro hidden hidden'] : []),
    'mount -o remount,bind,ro /sys 2>/dev/null || true',
  );
  return lines.join('\n');
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
