// bin/load-runner.js: the runner runs from a bundle of its sources that is
// never stale, survives a damaged cache, and falls back to tsx.
import { execFile } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempCopy } from './helpers.ts';

/** A copy of the runner (bin/, runner/, package.json) with the repository's node_modules, and its own bundle cache. */
function runnerCopy(): { dir: string; cache: string } {
  const dir = tempCopy('load-runner-');
  for (const name of ['bin', 'runner', 'package.json'])
    cpSync(join(repoRoot, name), join(dir, name), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, cache: join(dir, 'cache') };
}

/** `workbook --help` from the copy: the overview text comes from runner/cli.ts. */
function help(dir: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(dir, 'bin', 'workbook.js'), '--help'],
      { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

const manifest = (cache: string): { dir: string; inputs: Record<string, string> } =>
  JSON.parse(readFileSync(join(cache, 'current.json'), 'utf8'));

describe('the runner bundle (bin/load-runner.js)', () => {
  it('is built from the sources, and built again when one of them changes', async () => {
    const { dir, cache } = runnerCopy();
    expect(await help(dir, { WORKBOOK_RUNNER_CACHE: cache })).toContain('learn network programming');
    const first = manifest(cache);
    expect(Object.keys(first.inputs)).toContain('runner/cli.ts');
    expect(Object.keys(first.inputs)).toContain('runner/check/analysis.ts');

    // Unchanged sources: the same bundle.
    await help(dir, { WORKBOOK_RUNNER_CACHE: cache });
    expect(manifest(cache).dir).toBe(first.dir);

    const cli = join(dir, 'runner', 'cli.ts');
    writeFileSync(cli, readFileSync(cli, 'utf8').replace('learn network programming', 'learn sockets'));
    expect(await help(dir, { WORKBOOK_RUNNER_CACHE: cache })).toContain('learn sockets');
    expect(manifest(cache).dir).not.toBe(first.dir);
  });

  it('builds again when its cache is damaged: a manifest that is not JSON, or a bundle gone', async () => {
    const { dir, cache } = runnerCopy();
    await help(dir, { WORKBOOK_RUNNER_CACHE: cache });
    writeFileSync(join(cache, 'current.json'), '{ not json');
    expect(await help(dir, { WORKBOOK_RUNNER_CACHE: cache })).toContain('learn network programming');
    for (const entry of readdirSync(cache))
      if (entry !== 'current.json') rmSync(join(cache, entry), { recursive: true });
    expect(await help(dir, { WORKBOOK_RUNNER_CACHE: cache })).toContain('learn network programming');
  });

  it('runs the sources through tsx when no bundle can be written, or WORKBOOK_BUNDLE=0 asks for it', async () => {
    const { dir, cache } = runnerCopy();
    writeFileSync(cache, 'a file where the cache folder should be');
    expect(await help(dir, { WORKBOOK_RUNNER_CACHE: cache })).toContain('learn network programming');
    expect(readFileSync(cache, 'utf8')).toBe('a file where the cache folder should be');
    const other = join(dir, 'unused-cache');
    expect(await help(dir, { WORKBOOK_RUNNER_CACHE: other, WORKBOOK_BUNDLE: '0' })).toContain(
      'learn network programming',
    );
    expect(() => readdirSync(other)).toThrow();
  });
});
