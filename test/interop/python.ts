// Interop tests run small Python 3 peers (standard library only, the seeds'
// language) written from a lesson README's Wire format section alone, against
// the reference solutions, in both directions. Where python3 is absent the
// tests are skipped, and the skip says why.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe } from 'vitest';

/** The folder that holds the Python peers (test/interop/peers/). */
export const peersDir = join(dirname(fileURLToPath(import.meta.url)), 'peers');

function findPython(): string | undefined {
  for (const name of ['python3', 'python']) {
    const probe = spawnSync(name, ['-c', 'import sys; print(sys.version_info[0])'], {
      encoding: 'utf8',
      timeout: 5_000,
    });
    if (probe.status === 0 && probe.stdout.trim() === '3') return name;
  }
  return undefined;
}

/** The Python 3 interpreter's command, or undefined when there is none. */
export const python = findPython();

/** A describe() that is skipped, saying so, where python3 is absent. */
export function describeWithPython(name: string, body: () => void): void {
  if (python) describe(name, body);
  else describe.skip(`${name} (skipped: python3 is not installed)`, body);
}

export interface PeerResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface PeerOptions {
  /** Bytes written to the peer's standard input, which is then closed. */
  input?: string | Buffer;
  /** Ends the peer and rejects after this long (default 15 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

const running = new Set<ReturnType<typeof spawn>>();
afterEach(() => {
  // A peer still running when its test ends is ended with it.
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/**
 * Runs `peers/<script>` with `args` and resolves with its exit status and
 * output once it exits. Rejects, with what it printed so far, when it runs
 * past the deadline.
 */
export function runPeer(script: string, args: string[], options: PeerOptions = {}): Promise<PeerResult> {
  if (!python) throw new Error('python3 is not installed');
  const { input, timeoutMs = 15_000, env } = options;
  const child = spawn(python, [join(peersDir, script), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...env },
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin.on('error', () => {}); // a peer may exit before reading its input
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `the Python peer ${script} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Starts a long-running peer (a server) and resolves once it prints its
 * first line (by convention, the port it listens on), with that line and a
 * handle that ends the peer. The peer is also ended when the test ends.
 */
export function startPeer(
  script: string,
  args: string[],
  options: PeerOptions = {},
): Promise<{ firstLine: string; done: Promise<PeerResult>; stop: () => void }> {
  if (!python) throw new Error('python3 is not installed');
  const { timeoutMs = 15_000, env } = options;
  const child = spawn(python, [join(peersDir, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...env },
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<PeerResult>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the Python peer ${script} printed no first line within ${timeoutMs} ms\nstderr: ${stderr}`));
    }, timeoutMs);
    let answered = false;
    child.stdout.on('data', (s: string) => {
      stdout += s;
      const newline = stdout.indexOf('\n');
      if (answered || newline < 0) return;
      answered = true;
      clearTimeout(timer);
      resolve({ firstLine: stdout.slice(0, newline).trim(), done, stop: () => child.kill('SIGKILL') });
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void done.then((result) => {
      if (answered) return;
      clearTimeout(timer);
      reject(
        new Error(
          `the Python peer ${script} exited (${result.code ?? result.signal}) before its first line\nstderr: ${stderr}`,
        ),
      );
    });
  });
}
