// Loads the runner's TypeScript (runner/) as one esbuild bundle, kept in
// node_modules/.cache/workbook-runner/ and rebuilt when a file it was built
// from changes. Why not tsx's loader: on Node 20 a loader runs in a thread of
// its own, and each import after it is registered waits for that thread
// (measured: about 0.3 s of a 1.8 s check went there, with tsx's own cache
// warm). The bundle loads as plain JavaScript, with no loader at all.
//
// - A bundle is used only if every file it was built from still has the
//   same content (a SHA-256 per file, in its manifest); otherwise it is
//   built again (about 0.3 s) before the command runs.
// - The bundle does not depend on where the workbook is: `import.meta.url`
//   in runner code becomes the same file under the root given here, so a
//   grading copy with the same runner (node_modules linked) uses it too.
// - If the bundle cannot be built or written (a read-only node_modules, a
//   syntax error in runner code), the runner runs through tsx as before;
//   WORKBOOK_BUNDLE=0 asks for that (real file names in stack traces).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The entry points, by name: `importRunner(name)` loads one. */
const ENTRIES = { cli: 'runner/cli.ts', analysis: 'runner/check/analysis.ts' };
/** The global through which bundled code finds the files beside its sources. */
const ROOT_KEY = Symbol.for('workbook.runnerRoot');
/** Bundles other than the current one are removed once this old (a running process may still load from one). */
const OLD_BUNDLE_MS = 3_600_000;
/** Part of every manifest: a change here (or in esbuild) makes older bundles stale. */
const FORMAT = 1;

/** The root of the workbook package that holds this file (bin/..). */
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Imports the runner module `name` (a key of ENTRIES) from a fresh bundle,
 * building it if needed; falls back to tsx when there can be no bundle.
 */
export async function importRunner(name) {
  globalThis[ROOT_KEY] = pathToFileURL(packageRoot).href;
  // WORKBOOK_RUNNER_CACHE (for tests) must be inside the workbook's folder: the bundle's imports of packages resolve from where it lies.
  const cacheDir = process.env.WORKBOOK_RUNNER_CACHE || join(packageRoot, 'node_modules', '.cache', 'workbook-runner');
  if (process.env.WORKBOOK_BUNDLE !== '0') {
    const current = currentBundle(cacheDir, name);
    if (current) {
      try {
        return await import(pathToFileURL(join(current, `${name}.js`)).href);
      } catch (error) {
        // A chunk of the bundle was deleted: build it again. Any other error is the runner's own.
        if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes(current)) throw error;
      }
    }
    const built = await buildBundle(cacheDir).catch(() => undefined);
    if (built) return import(pathToFileURL(join(built, `${name}.js`)).href);
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(packageRoot, ENTRIES[name])).href);
}

/** The folder of the bundle in `cacheDir` if it holds `entry` and every file it was built from is unchanged. */
function currentBundle(cacheDir, entry) {
  try {
    const manifest = JSON.parse(readFileSync(join(cacheDir, 'current.json'), 'utf8'));
    if (manifest.format !== FORMAT) return undefined;
    for (const [file, hash] of Object.entries(manifest.inputs)) {
      if (sha256(readFileSync(join(packageRoot, file))) !== hash) return undefined;
    }
    const dir = join(cacheDir, manifest.dir);
    statSync(join(dir, `${entry}.js`));
    return dir;
  } catch {
    return undefined; // no bundle yet, a file gone, a damaged manifest: build again
  }
}

/** Builds the bundle into a new folder of `cacheDir`, makes it current, and returns the folder. */
async function buildBundle(cacheDir) {
  const esbuild = await import('esbuild');
  const name = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const outdir = join(cacheDir, name);
  mkdirSync(cacheDir, { recursive: true });
  /** Each file's hash, taken from the very text that was compiled. */
  const inputs = {};
  await esbuild.build({
    absWorkingDir: packageRoot,
    entryPoints: ENTRIES,
    outdir,
    bundle: true,
    splitting: true, // each command stays a chunk of its own, loaded when it runs
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    sourcemap: 'linked',
    logLevel: 'silent',
    banner: {
      js: `const __workbookFile = (file) => new URL(file, globalThis[Symbol.for('workbook.runnerRoot')]).href;`,
    },
    plugins: [
      {
        name: 'workbook-sources',
        setup(build) {
          build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
            const bytes = readFileSync(args.path);
            const file = relative(packageRoot, args.path).split('\\').join('/');
            inputs[file] = sha256(bytes);
            const contents = bytes
              .toString('utf8')
              .replaceAll('import.meta.url', `__workbookFile(${JSON.stringify(file)})`);
            return { contents, loader: args.path.endsWith('ts') ? 'ts' : 'js' };
          });
        },
      },
    ],
  });
  inputs['bin/load-runner.js'] = sha256(readFileSync(fileURLToPath(import.meta.url)));
  const manifest = { format: FORMAT, esbuild: esbuild.version, dir: name, inputs };
  const temp = join(cacheDir, `current.json.${process.pid}.tmp`);
  writeFileSync(temp, JSON.stringify(manifest, null, 1));
  renameSync(temp, join(cacheDir, 'current.json')); // atomic: a reader sees the old manifest or the new one
  removeOldBundles(cacheDir, name);
  return outdir;
}

function removeOldBundles(cacheDir, keep) {
  for (const entry of readdirSync(cacheDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === keep) continue;
    const dir = join(cacheDir, entry.name);
    try {
      if (Date.now() - statSync(dir).mtimeMs > OLD_BUNDLE_MS) rmSync(dir, { recursive: true, force: true });
    } catch {
      // another process removed it first
    }
  }
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}
