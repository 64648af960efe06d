// `workbook render`: builds the site and writes it to a folder. The folder
// must be empty, missing, or one this function wrote before (it keeps a list
// of its files there), so a wrong --out never overwrites someone's files.
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { WorkbookError } from '../errors.ts';
import { buildSite } from './site.ts';

/** The list of files a render wrote, kept in the output folder. */
export const MANIFEST = '.workbook-site.json';

export async function renderSite(options: {
  lessonsDir: string;
  outDir: string;
  statePath?: string;
}): Promise<{ pages: number; bytes: number; ms: number }> {
  const start = performance.now();
  const outDir = resolve(options.outDir);
  const previous = await previousFiles(outDir);
  const site = await buildSite({ lessonsDir: options.lessonsDir, statePath: options.statePath });
  let bytes = 0;
  for (const [path, contents] of site.files) {
    const file = join(outDir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, contents);
    bytes += Buffer.byteLength(contents);
  }
  // Files of an earlier render that this one no longer has (a renamed lesson).
  for (const old of previous) {
    if (!site.files.has(old)) await rm(join(outDir, old), { force: true });
  }
  await writeFile(join(outDir, MANIFEST), JSON.stringify({ files: [...site.files.keys()] }, null, 2) + '\n');
  return { pages: site.pages, bytes, ms: performance.now() - start };
}

async function previousFiles(outDir: string): Promise<string[]> {
  if (!existsSync(outDir)) return [];
  const entries = await readdir(outDir).catch(() => {
    throw new WorkbookError(`${outDir} exists but is not a folder: choose another --out`);
  });
  if (entries.length === 0) return [];
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(join(outDir, MANIFEST), 'utf8'));
  } catch {
    throw new WorkbookError(
      `${outDir} is not empty and was not written by workbook render; to keep its files safe, nothing was written. Choose an empty or new folder with --out.`,
    );
  }
  const files = (manifest as { files?: unknown }).files;
  return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string' && !f.includes('..')) : [];
}
