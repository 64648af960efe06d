import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { linksPlugin } from '../../runner/render/plugins/links.ts';
import { fixtureLessons, pageEnv } from './helpers.ts';
import { join } from 'node:path';

const md = new MarkdownIt().use(linksPlugin);
const render = async (src: string) => {
  const env = await pageEnv();
  return { html: md.render(src, env), env };
};

describe('links: written for GitHub, working in the site', () => {
  it("sends a link to another lesson's README to that lesson's page, and records it for checking", async () => {
    const { html, env } = await render(
      'Line one.\n\nSee [framing](../02-framing/README.md#wire-format) and [it](../02-framing/).\n',
    );
    expect(html).toContain('<a href="02-framing.html#wire-format">framing</a>');
    expect(html).toContain('<a href="02-framing.html">it</a>');
    expect(env.links).toEqual([
      { page: '02-framing.html', fragment: 'wire-format', file: 'lessons/01-echo/README.md', line: 3 },
      { page: '02-framing.html', fragment: '', file: 'lessons/01-echo/README.md', line: 3 },
    ]);
  });

  it('records links to anchors in the same page', async () => {
    const { env } = await render('[task 1](#task-1)\n');
    expect(env.links).toEqual([{ page: '', fragment: 'task-1', file: 'lessons/01-echo/README.md', line: 1 }]);
  });

  it('keeps the name of a lesson file the site does not carry, without a dead link', async () => {
    const { html, env } = await render('Edit [echo.ts](echo.ts).\n');
    expect(html).toContain('<span class="file-ref" title="01-echo/echo.ts">echo.ts</span>');
    expect(env.links).toEqual([]);
  });

  it('leaves links to the web alone', async () => {
    const { html } = await render('[RFC 862](https://www.rfc-editor.org/rfc/rfc862)\n');
    expect(html).toContain('<a href="https://www.rfc-editor.org/rfc/rfc862">RFC 862</a>');
  });

  it('fails on a link to a file that does not exist, or an absolute path', async () => {
    await expect(render('Text.\n\n[x](../03-nowhere/README.md)\n')).rejects.toThrow(
      'lessons/01-echo/README.md:3: link "../03-nowhere/README.md" points to ../03-nowhere/README.md, which does not exist',
    );
    await expect(render('[x](/etc/passwd)\n')).rejects.toThrow('starts with "/"');
  });

  it('copies a local image into the site and refuses one from the web', async () => {
    const { html, env } = await render('![a frame](echo.ts)\n');
    expect(html).toContain('src="assets/01-echo/echo.ts"');
    expect(env.assets.get('assets/01-echo/echo.ts')).toBe(join(fixtureLessons, '01-echo', 'echo.ts'));
    await expect(render('![x](https://example.com/x.png)\n')).rejects.toThrow(
      'is not local: the site must not fetch anything',
    );
    await expect(render('![x](gone.png)\n')).rejects.toThrow('image "gone.png" does not exist in 01-echo/');
  });
});
