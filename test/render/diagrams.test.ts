import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { WorkbookError } from '../../runner/errors.ts';
import { codePlugin } from '../../runner/render/plugins/code.ts';
import { diagramsPlugin } from '../../runner/render/plugins/diagrams.ts';
import { parseFrame } from '../../runner/render/svg/frame.ts';
import { describe as describeSequence, parseSequence } from '../../runner/render/svg/sequence.ts';
import { pageEnv } from './helpers.ts';

const md = new MarkdownIt().use(codePlugin).use(diagramsPlugin);
const render = async (src: string) => md.render(src, await pageEnv());
const failure = async (src: string): Promise<WorkbookError> => {
  const err = await render(src).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkbookError);
  return err as WorkbookError;
};

const FRAME =
  '```frame title="One frame"\n4       length   u32be: how many bytes follow\n1 type `1` for data\nlength  payload  the message\n```\n';

describe('frame diagrams: byte layouts as inline SVG', () => {
  it('works out each field offset, fixed and variable', () => {
    const fields = parseFrame('4 length u32be\n2 kind a tag\nlength payload bytes\n... trailer the rest\n');
    expect(fields.map((f) => [f.name, f.size, f.offset])).toEqual([
      ['length', 4, '0'],
      ['kind', 2, '4'],
      ['payload', 'length', '6'],
      ['trailer', 'rest', '6 + length'],
    ]);
  });

  it('draws an accessible SVG (title, desc) with the names and sizes as real text', async () => {
    const html = await render(FRAME);
    expect(html).toMatch(/^<figure class="diagram frame"><figcaption>One frame<\/figcaption>/);
    expect(html).toMatch(
      /<svg class="diagram-svg frame"[^>]* role="img" aria-labelledby="diagram-1-title diagram-1-desc">/,
    );
    expect(html).toContain('<title id="diagram-1-title">One frame</title>');
    expect(html).toContain(
      '<desc id="diagram-1-desc">Byte layout. length: 4 bytes at offset 0, u32be: how many bytes follow. type: 1 byte at offset 4, 1 for data. payload: length bytes at offset 5, the message.</desc>',
    );
    for (const text of ['>length</text>', '>payload</text>', '>4 bytes</text>', '>length bytes</text>'])
      expect(html).toContain(text);
    expect(html).not.toContain('<script');
  });

  it('adds a table with offset, size, field and meaning (descriptions keep their Markdown)', async () => {
    const html = await render(FRAME);
    expect(html).toContain('<th scope="col">Offset</th>');
    expect(html).toContain(
      '<tr><td><code>4</code></td><td>1 byte</td><td><code>type</code></td><td><code>1</code> for data</td></tr>',
    );
  });

  it('gives each diagram of a page its own ids', async () => {
    const env = await pageEnv();
    const html = md.render(FRAME + '\n' + FRAME, env);
    expect(html).toContain('id="diagram-1-title"');
    expect(html).toContain('id="diagram-2-title"');
  });

  it('fails at the line of a field whose size names no earlier field', async () => {
    const err = await failure('Text.\n\n```frame\n4 length u32be\nsize payload bytes\n```\n');
    expect(err.message).toBe(
      'lessons/01-echo/README.md:5: frame: the size of "payload" is "size", but no earlier field has that name (a size is a byte count, an earlier field\'s name, or ...)',
    );
  });

  it('fails on a field after "...", a repeated name, a line that is not a field, and an empty frame', async () => {
    expect((await failure('```frame\n... rest all\n1 more x\n```\n')).message).toContain(
      ':3: frame: field "more" comes after "rest"',
    );
    expect((await failure('```frame\n1 a x\n1 a y\n```\n')).message).toContain(':3: frame: field "a" is defined twice');
    expect((await failure('```frame\n4\n```\n')).message).toContain(':2: frame: "4" is not a field');
    expect((await failure('```frame\n```\n')).message).toContain('frame: the frame has no fields');
    expect((await failure('```frame size=4\n1 a b\n```\n')).message).toContain('unknown frame attribute "size"');
  });
});

const SEQ =
  '```sequence title="Echo"\nclient -> server: "hello"\nnote server: reads 5 bytes\nserver --> client: "hello"\nclient -x server: ping 2\n```\n';

describe('sequence diagrams: exchanges as inline SVG', () => {
  it('reads participants in order of appearance, messages, notes and arrow styles', () => {
    const seq = parseSequence(
      'echo-server -> client: hi\nclient->echo-server: ok\nnote client: done\nclient -x echo-server: lost\nclient --> proxy: x\n',
    );
    expect(seq.participants).toEqual(['echo-server', 'client', 'proxy']);
    expect(seq.steps).toEqual([
      { kind: 'message', from: 'echo-server', to: 'client', label: 'hi', style: 'solid' },
      { kind: 'message', from: 'client', to: 'echo-server', label: 'ok', style: 'solid' },
      { kind: 'note', who: 'client', text: 'done' },
      { kind: 'message', from: 'client', to: 'echo-server', label: 'lost', style: 'lost' },
      { kind: 'message', from: 'client', to: 'proxy', label: 'x', style: 'dashed' },
    ]);
  });

  it('draws lifelines, arrows, a note and a lost message, with every label as text', async () => {
    const html = await render(SEQ);
    expect(html).toContain('<figcaption>Echo</figcaption>');
    expect(html.match(/class="lifeline"/g)).toHaveLength(2);
    expect(html.match(/class="arrow /g)).toHaveLength(3);
    expect(html).toContain('class="arrow dashed"');
    expect(html).toContain('class="lost-mark"');
    expect(html).toContain('>&quot;hello&quot;</text>');
    expect(html).toContain('>reads 5 bytes</text>');
  });

  it('describes the whole exchange in words for screen readers', () => {
    const text = describeSequence(
      parseSequence('client -> server: "hello"\nnote server: reads\nclient -x server: ping\n'),
    );
    expect(text).toBe(
      'Sequence of 3 steps between client and server. 1. client sends to server: "hello". 2. Note on server: reads. 3. client sends, but it is lost on the way, to server: ping.',
    );
  });

  it('makes room for a long label between two participants', async () => {
    const short = await render('```sequence\na -> b: x\n```\n');
    const long = await render(`\`\`\`sequence\na -> b: ${'x'.repeat(80)}\n\`\`\`\n`);
    const width = (html: string) => Number(/viewBox="0 0 (\d+)/.exec(html)![1]);
    expect(width(long)).toBeGreaterThan(80 * 13 * 0.6);
    expect(width(short)).toBeLessThan(width(long));
  });

  it('fails at the line that is neither a message nor a note', async () => {
    const err = await failure('```sequence\nclient -> server: hi\nclient sends hi\n```\n');
    expect(err.message).toBe(
      'lessons/01-echo/README.md:3: sequence: "client sends hi" is neither a message ("client -> server: label") nor a note ("note server: text")',
    );
  });
});
