import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { WorkbookError } from '../../runner/errors.ts';
import { codePlugin } from '../../runner/render/plugins/code.ts';
import { extractRegion, includePlugin, type CodeMeta } from '../../runner/render/plugins/include.ts';
import { pageEnv } from './helpers.ts';

const md = new MarkdownIt().use(codePlugin).use(includePlugin);

async function fence(src: string) {
  const env = await pageEnv();
  const token = md.parse(src, env).find((t) => t.type === 'fence')!;
  return { content: token.content, meta: token.meta as CodeMeta, html: () => md.render(src, env) };
}

async function renderError(src: string): Promise<WorkbookError> {
  const env = await pageEnv();
  try {
    md.render(src, env);
  } catch (err) {
    expect(err).toBeInstanceOf(WorkbookError);
    return err as WorkbookError;
  }
  throw new Error('expected the render to fail');
}

const HANDLER = [
  '  return createServer((socket) => {',
  "    socket.on('data', (chunk) => socket.write(chunk));",
  "    socket.on('error', () => socket.destroy());",
  '  });',
];

describe('includes: code quoted from a lesson file by region', () => {
  it('fills an empty fence body with the region, keeping its indentation and line numbers', async () => {
    const { content, meta } = await fence('```ts file=echo.ts region=handler\n```\n');
    expect(content).toBe(HANDLER.join('\n') + '\n');
    expect(meta).toMatchObject({ lang: 'ts', file: 'echo.ts', region: 'handler', lineNumbers: [7, 8, 9, 10] });
  });

  it('accepts a body equal to the region, ignoring trailing spaces', async () => {
    const body = HANDLER.map((l, i) => (i === 0 ? `${l}   ` : l)).join('\n');
    const { content } = await fence(`\`\`\`ts file=echo.ts region=handler\n${body}\n\`\`\`\n`);
    expect(content).toBe(HANDLER.join('\n') + '\n');
  });

  it('leaves the marker lines of nested regions out of a quote', async () => {
    const { content, meta } = await fence('```ts file=echo.ts region=server\n```\n');
    expect(content).not.toContain('#region');
    expect(content).not.toContain('#endregion');
    expect(content.split('\n')[0]).toBe('export function createEchoServer(): Server {');
    expect(meta.lineNumbers).toEqual([5, 7, 8, 9, 10, 12]);
  });

  it('quotes the whole file when no region is named', async () => {
    const { content } = await fence('```ts file=upper.ts\n```\n');
    expect(content).toBe('export const upper = (text: string): string => text.toUpperCase();\n');
  });

  it('names the file and the lines quoted above the highlighted block', async () => {
    const { html } = await fence('```ts file=echo.ts region=handler\n```\n');
    const out = html();
    expect(out).toContain(
      '<figcaption><span class="file">echo.ts</span> <span class="lines">lines 7–10</span></figcaption>',
    );
    expect(out).toContain('data-n="7"');
    expect(out).not.toContain('style="--shiki');
  });

  it('fails on a missing file, naming the lesson file and the fence line', async () => {
    const err = await renderError('# T\n\n```ts file=nope.ts region=x\n```\n');
    expect(err.message).toBe('lessons/01-echo/README.md:3: file=nope.ts: no such file in 01-echo/');
    expect(err).toMatchObject({ file: 'lessons/01-echo/README.md', line: 3 });
  });

  it('fails on a missing region and lists the regions the file has', async () => {
    const err = await renderError('```ts file=echo.ts region=listen\n```\n');
    expect(err.message).toBe(
      'lessons/01-echo/README.md:1: echo.ts: has no region "listen" (its regions: server, handler)',
    );
  });

  it('fails on a body that has drifted, at the first line that differs', async () => {
    const body = [HANDLER[0], '    socket.pipe(socket);', HANDLER[2], HANDLER[3]].join('\n');
    const err = await renderError(`Intro.\n\n\`\`\`ts file=echo.ts region=handler\n${body}\n\`\`\`\n`);
    expect(err.line).toBe(5);
    expect(err.message).toContain(
      'lessons/01-echo/README.md:5: the code quoted from region "handler" of echo.ts has drifted',
    );
    expect(err.message).toContain(
      `this line reads "    socket.pipe(socket);" but echo.ts line 8 reads "${HANDLER[1]}"`,
    );
  });

  it('fails on a quote longer or shorter than the region', async () => {
    const longer = await renderError(`\`\`\`ts file=echo.ts region=handler\n${HANDLER.join('\n')}\nextra();\n\`\`\`\n`);
    expect(longer.message).toContain('the quote has 1 more line(s) than the file: "extra();"');
    expect(longer.line).toBe(6);
    const shorter = await renderError(
      `\`\`\`ts file=echo.ts region=handler\n${HANDLER.slice(0, 2).join('\n')}\n\`\`\`\n`,
    );
    expect(shorter.message).toContain('the quote stops early; echo.ts line 9 goes on with');
  });

  it('refuses files outside the lesson folder (a README never quotes solutions)', async () => {
    const err = await renderError('```ts file=../../../../solutions/01-socket-basics/echo-server.ts\n```\n');
    expect(err.message).toContain('is outside the lesson folder');
  });

  it('rejects unknown attributes, and a region without a file', async () => {
    expect((await renderError('```ts file=echo.ts regoin=handler\n```\n')).message).toContain(
      'unknown fence attribute "regoin"',
    );
    expect((await renderError('```ts region=handler\n```\n')).message).toContain('region=handler needs a file=');
  });

  it('leaves a plain code fence alone', async () => {
    const { content, meta } = await fence('```sh\nnpm start\n```\n');
    expect(content).toBe('npm start\n');
    expect(meta).toEqual({ lang: 'sh', title: undefined });
  });
});

describe('extractRegion', () => {
  it('says when a region is never ended, ended twice or marked twice', () => {
    expect(extractRegion('// #region a\nx\n', 'a')).toBe('region "a" (line 1) is never ended with // #endregion');
    expect(extractRegion('x\n// #endregion a\n', 'a')).toBe('line 2 ends a region that was never started');
    expect(extractRegion('// #region a\n// #region b\n// #endregion a\n', 'a')).toContain(
      'ends region "a", but the innermost open region is "b"',
    );
    expect(extractRegion('// #region a\n// #endregion\n// #region a\n// #endregion\n', 'a')).toBe(
      'region "a" is marked twice (line 3)',
    );
  });

  it('accepts an unnamed #endregion and CRLF line ends', () => {
    expect(extractRegion('// #region a\r\nx\r\n// #endregion\r\n', 'a')).toEqual({ lines: ['x'], numbers: [2] });
  });

  it('tells how to mark a region in a file that has none', () => {
    expect(extractRegion('const x = 1;\n', 'main')).toBe(
      'has no region "main" (it marks no regions: add // #region main and // #endregion main)',
    );
  });
});
