// How long `workbook render` takes for every lesson (aim: under 2 s), and how
// big the built site is. The first render in a process also loads shiki's
// grammars and compiles their regular expressions; later ones reuse them
// (as `workbook serve` does on every change).
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, timeRuns } from './context.ts';
import { renderSite } from '../runner/render/index.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..');

export default async function run(): Promise<void> {
  let lessonsDir = join(root, 'lessons');
  const out = mkdtempSync(join(tmpdir(), 'workbook-render-bench-'));
  const site = join(out, 'site');
  try {
    let first;
    const cpuStart = process.cpuUsage();
    try {
      first = await renderSite({ lessonsDir, outDir: site, statePath: join(out, 'none.json') });
    } catch (err) {
      console.log(`lessons/ does not render yet (${(err as Error).message}); measuring the test fixtures instead`);
      lessonsDir = join(root, 'test', 'fixtures', 'render', 'lessons');
      first = await renderSite({ lessonsDir, outDir: site, statePath: join(out, 'none.json') });
    }
    const cpuFirst = process.cpuUsage(cpuStart);
    const cpuWarmStart = process.cpuUsage();
    const warm = await timeRuns(5, () => renderSite({ lessonsDir, outDir: site, statePath: join(out, 'none.json') }));
    const cpuWarm = process.cpuUsage(cpuWarmStart);
    // CPU time (user + system) is what a render costs on an idle machine; wall
    // time on a shared, loaded one can be several times longer.
    const cpuMs = (c: NodeJS.CpuUsage, n = 1) => ((c.user + c.system) / 1000 / n).toFixed(0);
    const files = readdirSync(site).filter((f) => !f.startsWith('.'));
    const sizes = files.map((f) => [f, statSync(join(site, f)).size] as const).sort((a, b) => b[1] - a[1]);
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(
      `render, first in this process (loads shiki): ${first.ms.toFixed(0)} ms wall, ${cpuMs(cpuFirst)} ms CPU, for ${first.pages} pages`,
    );
    console.log(
      `render, warm (median of 5):                ${median(warm).toFixed(0)} ms wall (min ${Math.min(...warm).toFixed(0)}, max ${Math.max(...warm).toFixed(0)}), ${cpuMs(cpuWarm, 5)} ms CPU each`,
    );
    console.log(`site size: ${kib(first.bytes)} in ${files.length} files`);
    for (const [f, n] of sizes) console.log(`  ${f.padEnd(28)} ${kib(n).padStart(10)}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
