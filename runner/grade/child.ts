// The child process that runs `workbook check --stream` in a submission's
// copy: a clean environment, its own process group (or namespaces), a
// wall-time and memory limit, and a watchdog that ends it if the grader dies.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Exercise } from '../workbook.ts';
import { UNSHARE_ARGS, groupMemory, killGroup } from './limits.ts';
import { namespaceScript } from './namespace.ts';
import type { SandboxPlan } from './sandbox.ts';
import { type CheckStream, StreamReader } from './stream.ts';

/** What is kept of a child's stderr. */
const MAX_STDERR = 2 * 1024 * 1024;

export interface ChildRun {
  /** 'exited' with its code, or stopped by a limit. */
  end: 'exited' | 'timeout' | 'memory';
  code: number | null;
  /** What the check reported, as far as it got. */
  stream: CheckStream;
  stderr: string;
}

/**
 * Runs `workbook check` on `exercises` in `copy`: against the visible tests
 * (tree 'proj') or the hidden ones ('hidden'). `normalize` is applied to
 * every reported line (the copy's path, ports).
 */
export function runCheck(
  plan: SandboxPlan,
  copy: string,
  tree: 'proj' | 'hidden',
  exercises: Exercise[],
  normalize: (text: string) => string,
): Promise<ChildRun> {
  const token = randomBytes(24).toString('hex');
  const tokenFile = join(copy, 'out', `token-${tree}`);
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const node = [process.execPath, join(copy, 'proj', 'bin', 'workbook.js'), 'check', ...exercises.map((e) => e.id)];
  // No type check: the grader analyses the whole class in one thread (warnings.ts).
  const args = [...node, '--target', join(copy, 'submission'), '--stream', tokenFile, '--no-types'];
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
  // The check starts in the copy's project root, where a learner runs
  // `npx workbook check`: code that resolves from the working directory
  // (`node --import tsx`, as lesson 06's cluster workers start) finds
  // node_modules there as it does at home.
  const start = `cd ${tree}\n${WATCHDOG}`;
  const [command, ...rest] =
    plan.isolation === 'namespace'
      ? ['unshare', ...UNSHARE_ARGS, 'sh', '-c', `${namespaceScript(plan, copy, tree)}\n${start}`, 'sandbox', ...args]
      : ['sh', '-c', start, 'sandbox', ...args];
  return new Promise((resolve) => {
    // detached: the child leads its own process group, so kill(-pid) ends everything it started.
    const child = spawn(command!, rest, { cwd: copy, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => {}); // nothing is ever written: the pipe only tells the watchdog we live
    const reader = new StreamReader(token, normalize);
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => reader.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_STDERR) stderr += chunk;
    });
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
      stderr += `${error.message}\n`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watch);
      child.stdin.destroy();
      killGroup(pgid); // whatever the child left running
      if (end === 'exited' && signal === null && code !== null && code > 2 && /heap out of memory/i.test(stderr))
        end = 'memory';
      resolve({ end, code, stream: reader.stream, stderr });
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
