// runner/check/kit-bundle.ts: the runner's test workers load the kit as one
// pre-built module when it can be built, and its sources when it cannot.
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { kitBundle, kitBundlePlugin, kitDir } from '../../runner/check/kit-bundle.ts';
import { fixtureCopy, repoRoot, runCli, tempCopy } from './helpers.ts';

// Inside node_modules, as the real cache is: the bundle's import of 'vitest' resolves from where it lies.
const cache = join(repoRoot, 'node_modules', '.cache', `workbook-kit-test-${process.pid}`);
afterAll(() => rmSync(cache, { recursive: true, force: true }));

/** The cache folder of a workbook whose node_modules cannot be written (a file where a folder should be; chmod does not stop root). */
function unwritableCache(): string {
  const dir = tempCopy('kit-cache-');
  writeFileSync(join(dir, 'node_modules'), 'not a folder');
  return join(dir, 'node_modules', '.cache', 'workbook-kit');
}

type ResolveId = (source: string, importer: string | undefined) => Promise<string | null>;
const resolver = (bundle: (kit: string) => Promise<string | undefined>): ResolveId =>
  kitBundlePlugin(bundle).resolveId as unknown as ResolveId;
const lessonTest = join(repoRoot, 'lessons', '01-socket-basics', 'echo-server.test.ts');

describe('the kit bundle', () => {
  it('is built once for the current sources, and exports every name of every kit file', async () => {
    const bundle = await kitBundle({ cacheDir: cache });
    expect(bundle).toBeDefined();
    const mtime = statSync(bundle!).mtimeMs;
    expect(await kitBundle({ cacheDir: cache })).toBe(bundle);
    expect(statSync(bundle!).mtimeMs).toBe(mtime);
    const bundled = await import(pathToFileURL(bundle!).href);
    for (const file of readdirSync(kitDir).filter((f) => f.endsWith('.ts'))) {
      const source = await import(join(kitDir, file));
      for (const name of Object.keys(source)) expect(bundled, `${file} exports ${name}`).toHaveProperty(name);
    }
  });

  it('removes, when it builds, the bundles of older kits once they are an hour old', async () => {
    const bundle = (await kitBundle({ cacheDir: cache }))!;
    const [stale, recent] = [join(cache, 'stale-kit'), join(cache, 'recent-kit')];
    mkdirSync(stale);
    mkdirSync(recent);
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    rmSync(dirname(bundle), { recursive: true });
    expect(await kitBundle({ cacheDir: cache })).toBe(bundle);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(recent)).toBe(true);
  });

  it('is not built where the cache cannot be written', async () => {
    expect(await kitBundle({ cacheDir: unwritableCache() })).toBeUndefined();
  });

  it("sends the lesson tests' kit imports to the bundle, and leaves them to the sources when there is none", async () => {
    const built = resolver(() => kitBundle({ cacheDir: cache }));
    const bundle = await kitBundle({ cacheDir: cache });
    expect(await built('../../runner/kit/index.ts', lessonTest)).toBe(bundle);
    expect(await built('../../runner/kit/bytes.ts', lessonTest)).toBe(bundle);
    expect(await built('./echo-server.ts', lessonTest)).toBeNull();
    expect(await built('../../runner/kit/index.ts', undefined)).toBeNull();

    const none = resolver(() => kitBundle({ cacheDir: unwritableCache() }));
    expect(await none('../../runner/kit/index.ts', lessonTest)).toBeNull();
  });

  it("sends a copy's kit imports to the bundle of that copy's kit, kept in the copy's node_modules", async () => {
    const copy = tempCopy('kit-copy-');
    cpSync(kitDir, join(copy, 'runner', 'kit'), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'), 'dir');
    const resolved = await resolver((kit) => kitBundle({ kit }))(
      '../../runner/kit/index.ts',
      join(copy, 'lessons', '01-socket-basics', 'echo-server.test.ts'),
    );
    const own = (await kitBundle())!;
    // Same sources, same hash: the bundle the runner's own kit has.
    expect(resolved).toBe(join(copy, 'node_modules', '.cache', 'workbook-kit', basename(dirname(own)), 'kit.mjs'));
  });

  it('gives a check the same verdicts as the kit sources (WORKBOOK_KIT_BUNDLE=0)', async () => {
    const root = fixtureCopy();
    const args = ['check', 'adder', 'wrong-bytes', 'silent-server', '--no-types'];
    const bundled = await runCli(args, { root });
    expect(bundled.stdout).toContain('first difference at byte 4 (0x4): expected 0x6f, got 0x4f');
    expect(bundled.stdout).toContain('the server accepted the connection but never replied within 2 s');
    const sources = await runCli(args, { root, env: { WORKBOOK_KIT_BUNDLE: '0' } });
    expect(bundled.code).toBe(1);
    expect(sources.code).toBe(bundled.code);
    // Durations differ from run to run.
    const steady = (text: string): string => text.replace(/\d+(\.\d+)? ?m?s\b/g, '<time>');
    expect(steady(sources.stdout)).toBe(steady(bundled.stdout));
    // The check built (or found) the bundle of the current kit in the workbook's own cache.
    const current = await kitBundle();
    expect(current && statSync(current).isFile()).toBe(true);
  });
});
