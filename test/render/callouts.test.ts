import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { WorkbookError } from '../../runner/errors.ts';
import { CALLOUTS, calloutsPlugin } from '../../runner/render/plugins/callouts.ts';
import { pageEnv } from './helpers.ts';

const md = new MarkdownIt().use(calloutsPlugin);
const render = async (src: string) => md.render(src, await pageEnv());

describe('callouts: GitHub alert syntax', () => {
  it.each(Object.entries(CALLOUTS))('turns > [!%s] into an aside with its title', async (kind, { label }) => {
    const html = await render(`> [!${kind}]\n> Mind the bytes.\n`);
    expect(html).toMatch(
      new RegExp(
        `^<aside class="callout ${kind.toLowerCase()}">\\n<p class="callout-title"><svg [^>]*aria-hidden="true">`,
      ),
    );
    expect(html).toContain(`</svg>${label}</p>\n<p>Mind the bytes.</p>\n</aside>`);
    expect(html).not.toContain('[!');
  });

  it('drops the marker paragraph when the marker stands alone, keeping the rest', async () => {
    const html = await render('> [!NOTE]\n>\n> First.\n>\n> - a list\n');
    expect(html).toContain('Note</p>\n<p>First.</p>\n<ul>\n<li>a list</li>\n</ul>\n</aside>');
    expect(html).not.toContain('<p></p>');
  });

  it('accepts the marker in lower case, as GitHub does', async () => {
    expect(await render('> [!tip]\n> Use port 0.\n')).toContain('<aside class="callout tip">');
  });

  it('leaves an ordinary blockquote alone', async () => {
    expect(await render('> A quote [!NOTE] inside.\n')).toBe(
      '<blockquote>\n<p>A quote [!NOTE] inside.</p>\n</blockquote>\n',
    );
  });

  it('handles a callout nested in a list and one after another', async () => {
    const html = await render('- item\n\n  > [!WARNING]\n  > Careful.\n\n> [!NOTE]\n> Two.\n');
    expect(html.match(/<aside/g)).toHaveLength(2);
    expect(html.match(/<\/aside>/g)).toHaveLength(2);
  });

  it('fails on an unknown kind, naming the line', async () => {
    const err = await render('Text.\n\n> [!WARN]\n> Oops.\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkbookError);
    expect((err as Error).message).toBe(
      'lessons/01-echo/README.md:3: unknown callout [!WARN]: use one of [!NOTE], [!TIP], [!IMPORTANT], [!WARNING], [!CAUTION]',
    );
  });
});
