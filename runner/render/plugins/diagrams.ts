// `frame` and `sequence` fences become inline SVG diagrams at build time
// (see svg/frame.ts and svg/sequence.ts for their syntax). A mistake in a
// diagram fails the render at its line in the README.
import type MarkdownIt from 'markdown-it';
import { errorAt, type PageEnv } from '../env.ts';
import { parseAttrs } from '../html.ts';
import { DiagramError } from '../svg/common.ts';
import { parseFrame, renderFrame } from '../svg/frame.ts';
import { parseSequence, renderSequence } from '../svg/sequence.ts';

export function diagramsPlugin(md: MarkdownIt): void {
  const fallback = md.renderer.rules.fence!;
  md.renderer.rules.fence = (tokens, idx, options, env: PageEnv, self) => {
    const token = tokens[idx]!;
    const [kind = '', ...rest] = token.info.trim().split(/\s+/);
    if (kind !== 'frame' && kind !== 'sequence') return fallback(tokens, idx, options, env, self);
    const attrs = parseAttrs(rest.join(' '));
    if (!attrs) throw errorAt(env, token, `cannot read the ${kind} fence's attributes: write title="..."`);
    for (const key of attrs.keys()) {
      if (key !== 'title') throw errorAt(env, token, `unknown ${kind} attribute "${key}" (it takes only title=)`);
    }
    const id = `diagram-${++env.diagrams}${env.file === 'README.md' ? '' : `-${env.file.replace(/\W/g, '')}`}`;
    try {
      if (kind === 'frame') {
        const title = attrs.get('title') ?? 'Frame layout';
        return renderFrame(parseFrame(token.content), {
          id,
          title,
          renderInline: (text) => md.renderInline(text, env),
        });
      }
      return renderSequence(parseSequence(token.content), { id, title: attrs.get('title') ?? '' });
    } catch (err) {
      // +1: the fence body starts on the line after the fence's opening line.
      if (err instanceof DiagramError) throw errorAt(env, token, `${kind}: ${err.message}`, 1 + err.index);
      throw err;
    }
  };
}
