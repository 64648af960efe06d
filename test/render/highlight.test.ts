import { describe, expect, it } from 'vitest';
import { createCodeHighlighter } from '../../runner/render/highlight.ts';

describe('highlighting at build time', () => {
  it('colours TypeScript with classes, not inline styles, and defines each class once', async () => {
    const h = await createCodeHighlighter();
    const html = h.highlight("const port: number = 0; // any free port\nserver.listen(port, '127.0.0.1');\n", 'ts');
    expect(html).toMatch(/^<pre class="shiki" tabindex="0"><code><span class="line"><span class="t\d+">const<\/span>/);
    expect(html).not.toContain('style=');
    expect(html.match(/<span class="line"/g)).toHaveLength(2);
    const css = h.css();
    for (const cls of new Set([...html.matchAll(/class="(t\d+)"/g)].map((m) => m[1]!))) {
      expect(
        css.match(new RegExp(`^\\.${cls}\\{--shiki-light:#[0-9A-F]{6};--shiki-dark:#[0-9A-F]{6}`, 'gm')),
      ).toHaveLength(1);
    }
  });

  it('escapes the code of an unknown language and shows it plainly', async () => {
    const h = await createCodeHighlighter();
    const html = h.highlight('<b>&"x"</b>\n', 'klingon');
    expect(html).toContain('&#x3C;b>&#x26;"x"&#x3C;/b>');
    expect(html).not.toContain('<b>');
  });

  it('numbers lines with the file’s own numbers when given', async () => {
    const h = await createCodeHighlighter();
    const html = h.highlight('a\nb\n', 'ts', [10, 12]);
    expect(html).toContain('<span class="line" data-n="10">');
    expect(html).toContain('<span class="line" data-n="12">');
  });
});
