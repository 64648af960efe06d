import { join, resolve } from 'node:path';
import { defineCommand } from '../command.ts';
import { say, shown } from '../output.ts';
import { statePath } from '../state.ts';
import { loadWorkbook } from '../workbook.ts';

export default defineCommand({
  name: 'render',
  summary: 'Build the lessons as a static website (works offline).',
  usage: 'npx workbook render [--out DIR]',
  options: { out: { type: 'string', valueName: 'DIR', description: 'where to write the site (default: site/)' } },
  async run({ values }) {
    const workbook = loadWorkbook();
    const outDir = resolve(values.out ?? join(workbook.root, 'site'));
    const { renderSite } = await import('../render/index.ts');
    {
      const { pages, bytes, ms } = await renderSite({
        lessonsDir: workbook.lessonsDir,
        outDir,
        statePath: statePath(workbook.root),
      });
      say(
        `Rendered ${pages} pages (${(bytes / 1024).toFixed(0)} KiB) to ${shown(process.cwd(), outDir)} in ${ms.toFixed(0)} ms.`,
      );
      say(`Open ${shown(process.cwd(), join(outDir, 'index.html'))} in a browser.`);
      return 0;
    }
  },
});
