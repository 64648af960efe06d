// Runs the real `workbook` CLI in a child process against a copy of the
// fixture workbook, as a learner would.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(repoRoot, 'bin', 'workbook.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A fresh copy of a fixture workbook (test/fixtures/<name>), removed after the file's tests.
 * It lives under os.tmpdir(), outside the repository, so that its
 * failing-by-design tests can never be collected by the project's own test
 * globs, even when a crash leaves a copy behind. Links to the repository's
 * runner/ and node_modules/ give the fixture tests the test kit and vitest,
 * as a learner's clone has them.
 */
export function fixtureCopy(fixture: 'workbook' | 'faults' = 'workbook'): string {
  const dir = tempCopy(`${fixture}-`);
  cpSync(join(repoRoot, 'test', 'fixtures', fixture), dir, { recursive: true });
  symlinkSync(join(repoRoot, 'runner'), join(dir, 'runner'), 'dir');
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/**
 * A fresh empty folder under os.tmpdir(), removed after the file's tests
 * (afterAll runs even when a test times out); folders left by a killed run
 * are removed by the next one once they are an hour old.
 */
export function tempCopy(prefix: string): string {
  const parent = join(tmpdir(), 'workbook-tests');
  mkdirSync(parent, { recursive: true });
  removeStale(parent);
  const dir = mkdtempSync(join(parent, prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function removeStale(parent: string): void {
  for (const name of readdirSync(parent)) {
    const dir = join(parent, name);
    try {
      if (Date.now() - statSync(dir).mtimeMs > 3_600_000) rmSync(dir, { recursive: true, force: true });
    } catch {
      // another run removed it first
    }
  }
}

/** Runs `workbook <args>` with the workbook at `root`; never throws on a non-zero exit. */
export function runCli(
  args: string[],
  {
    root,
    env = {},
    cwd,
    timeout = 90_000,
  }: { root?: string; env?: Record<string, string>; cwd?: string; timeout?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: cwd ?? root ?? repoRoot, env: cliEnv(root, env), timeout, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolvePromise({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** Starts `workbook <args>` and returns the child, for interactive commands (watch). */
export function startCli(
  args: string[],
  { root, env = {} }: { root: string; env?: Record<string, string> },
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [bin, ...args], { cwd: root, env: cliEnv(root, env) });
}

function cliEnv(root: string | undefined, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', WORKBOOK_STALL_MS: '5000', ...extra };
  delete env.WORKBOOK_ROOT;
  delete env.VITEST; // the child runs vitest itself
  delete env.VITEST_POOL_ID;
  delete env.VITEST_WORKER_ID;
  delete env.TEST;
  delete env.NODE_ENV;
  if (root) env.WORKBOOK_ROOT = root;
  return env;
}
