// The test kit (runner/kit/) as one pre-built module for the runner's test
// workers. Each run starts a fresh worker, which fetches every module of a
// test file's graph from Vite, one request per module; the kit alone was
// about 15 of them, most of a save's load time in watch mode. So the
// runner's vitest sends every import of a kit file to one esbuild bundle of
// the whole kit ('vitest' left external: the worker's own vitest), kept in
// <root>/node_modules/.cache/workbook-kit/<hash of the kit's sources>/.
// - One kit module per worker, as before: every kit file (index.ts and the
//   files it re-exports) resolves to the same bundle.
// - The bundle lies under node_modules/, so vitest loads it as a package
//   (plain Node ESM), and its stack frames count as infrastructure, never
//   as the learner's code (runner/check/worker-setup.ts, messages.ts).
// - If it cannot be built or written (a read-only node_modules, a syntax
//   error in the kit), the tests load the kit's sources as before: this
//   never fails a check. WORKBOOK_KIT_BUNDLE=0 turns it off.
// The repository's own vitest.config.ts keeps the sources.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

/** The runner's own kit. */
export const kitDir = fileURLToPath(new URL('../kit/', import.meta.url)).replace(/\/$/, '');
/**
 * Where the bundle of the kit in `dir` (<root>/runner/kit) is kept: under
 * <root>/node_modules/, so that its import of 'vitest' finds the same
 * package as the kit's sources would.
 */
export const kitCacheOf = (dir: string): string => join(dir, '..', '..', 'node_modules', '.cache', 'workbook-kit');
/** Part of the hash: a change in how the bundle is built makes older bundles stale. */
const FORMAT = 1;
const BUNDLE = 'kit.mjs';
const OLD_BUNDLE_MS = 3_600_000;

/**
 * The bundle of the kit's current sources in `cacheDir`, built there if it
 * is missing; undefined when it cannot be built or written.
 */
export async function kitBundle({ kit = kitDir, cacheDir = kitCacheOf(kit) } = {}): Promise<string | undefined> {
  try {
    const files = kitFiles(kit);
    const hash = createHash('sha256').update(`format ${FORMAT}\n`);
    for (const file of files) hash.update(`${file}\n`).update(readFileSync(join(kit, file)));
    const dir = join(cacheDir, hash.digest('hex').slice(0, 32));
    const bundle = join(dir, BUNDLE);
    try {
      statSync(bundle);
      return bundle;
    } catch {
      await build(kit, files, cacheDir, dir);
      return bundle;
    }
  } catch {
    return undefined;
  }
}

/** The kit's module files, sorted (the bundle's entry exports them all). */
function kitFiles(kit: string): string[] {
  return readdirSync(kit)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort();
}

/** Builds the bundle into a folder of its own, then moves it to `dir` in one step (a reader never sees half of it). */
async function build(kit: string, files: string[], cacheDir: string, dir: string): Promise<void> {
  const esbuild = await import('esbuild');
  const temp = join(cacheDir, `.${randomBytes(6).toString('hex')}.tmp`);
  mkdirSync(temp, { recursive: true });
  try {
    const result = await esbuild.build({
      // Every file's exports, so that an import of any kit file can go to the bundle.
      stdin: {
        contents: files.map((f) => `export * from './${f}';`).join('\n'),
        resolveDir: kit,
        sourcefile: 'kit-bundle-entry.ts',
        loader: 'ts',
      },
      absWorkingDir: kit,
      outfile: join(temp, BUNDLE),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      keepNames: true,
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'silent',
    });
    // The hash covers runner/kit/ only: a kit that imports a file outside it is not bundled.
    for (const input of Object.keys(result.metafile.inputs)) {
      if (input !== '<stdin>' && relative(kit, resolve(kit, input)).startsWith('..'))
        throw new Error(`the kit imports ${input}, outside ${kit}`);
    }
    try {
      renameSync(temp, dir);
    } catch {
      statSync(join(dir, BUNDLE)); // another process built the same bundle first: use theirs
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  removeOldBundles(cacheDir, dir);
}

/** Bundles of older kits (and folders a killed build left) go once an hour old: a running check may still load one. */
function removeOldBundles(cacheDir: string, keep: string): void {
  for (const name of readdirSync(cacheDir)) {
    const old = join(cacheDir, name);
    try {
      if (old !== keep && Date.now() - statSync(old).mtimeMs > OLD_BUNDLE_MS)
        rmSync(old, { recursive: true, force: true });
    } catch {
      // another process removed it first
    }
  }
}

/**
 * A Vite plugin that sends every import of a kit file (any <root>/runner/kit/,
 * the runner's own or a copy's) to the bundle of that kit, when there is
 * one; each kit's bundle is looked up once, on its first import.
 */
export function kitBundlePlugin(
  bundle: (kit: string) => Promise<string | undefined> = (kit) => kitBundle({ kit }),
): Plugin {
  const found = new Map<string, Promise<string | undefined>>();
  return {
    name: 'workbook-kit-bundle',
    enforce: 'pre',
    async resolveId(source, importer) {
      if (!importer || !source.startsWith('.') || !source.endsWith('.ts') || !source.includes('kit/')) return null;
      let kit: string;
      try {
        // Fixture and grading copies may reach the kit through a link.
        kit = dirname(realpathSync(resolve(dirname(importer), source)));
      } catch {
        return null;
      }
      if (basename(kit) !== 'kit' || basename(dirname(kit)) !== 'runner') return null;
      let bundled = found.get(kit);
      if (!bundled) {
        bundled = process.env.WORKBOOK_KIT_BUNDLE === '0' ? Promise.resolve(undefined) : bundle(kit);
        found.set(kit, bundled);
      }
      return (await bundled) ?? null;
    },
  };
}
