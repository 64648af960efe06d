// `npm run bench [name...]`: runs the benchmarks in bench/*.bench.ts (all, or
// those whose file name contains one of the names given) and prints figures
// with the machine's context. Benchmarks measure; they never fail a build.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machineContext } from './context.ts';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

console.log(machineContext());
for (const file of files) {
  console.log(`\n== ${file}`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<void> };
  await mod.default();
}
if (files.length === 0) console.log(`no benchmark matches ${wanted.join(', ')}`);
