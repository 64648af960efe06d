// Code quoted from the lesson's own files, so the text never drifts from the code.
//
//   ```ts file=echo-server.ts region=handler
//   ...the same lines as the region...
//   ```
//
// The region is marked in the file with `// #region handler` and
// `// #endregion handler` (marker lines of any region are left out of a quote).
// Without `region`, the whole file is quoted. The fence body must equal the
// region; an empty body is filled in. A missing file or region, or a body
// that has drifted, fails the render at the line in the README.
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import { errorAt, type PageEnv } from '../env.ts';
import { parseAttrs } from '../html.ts';

/** What the include rule leaves on a fence token for the code renderer. */
export interface CodeMeta {
  lang: string;
  file?: string;
  region?: string;
  title?: string;
  /** The file's line number for each quoted line. */
  lineNumbers?: number[];
}

export interface Region {
  lines: string[];
  numbers: number[];
}

const DIAGRAMS = new Set(['frame', 'sequence']);
const CODE_ATTRS = new Set(['file', 'region', 'title']);
const START = /^\s*\/\/\s*#region\s+(\S+)\s*$/;
const END = /^\s*\/\/\s*#endregion(?:\s+(\S+))?\s*$/;

export function includePlugin(md: MarkdownIt): void {
  md.core.ruler.after('block', 'workbook_include', (state) => {
    const env = state.env as PageEnv;
    for (const token of state.tokens) {
      if (token.type !== 'fence') continue;
      const [lang = '', ...rest] = token.info.trim().split(/\s+/);
      if (DIAGRAMS.has(lang)) continue;
      token.meta = readCodeMeta(env, token, lang, rest.join(' '));
    }
  });
}

function readCodeMeta(env: PageEnv, token: Token, lang: string, attrText: string): CodeMeta {
  const attrs = parseAttrs(attrText);
  if (!attrs)
    throw errorAt(env, token, `cannot read the fence's attributes "${attrText}": write key=value or key="a value"`);
  for (const key of attrs.keys()) {
    if (!CODE_ATTRS.has(key))
      throw errorAt(env, token, `unknown fence attribute "${key}" (a code fence takes file=, region= and title=)`);
  }
  const file = attrs.get('file');
  const region = attrs.get('region');
  const meta: CodeMeta = { lang, title: attrs.get('title') };
  if (region !== undefined && file === undefined)
    throw errorAt(env, token, `region=${region} needs a file= to read it from`);
  if (file === undefined) return meta;

  const path = resolve(env.lesson.dir, file);
  const inside = relative(env.lesson.dir, path);
  if (isAbsolute(file) || inside.startsWith('..') || isAbsolute(inside)) {
    throw errorAt(env, token, `file=${file} is outside the lesson folder: quote only this lesson's own files`);
  }
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch {
    throw errorAt(env, token, `file=${file}: no such file in ${env.lesson.slug}/`);
  }
  const found = extractRegion(source, region);
  if (typeof found === 'string') throw errorAt(env, token, `${file}: ${found}`);
  checkBody(env, token, found, file, region);
  token.content = found.lines.join('\n') + '\n';
  return { ...meta, file, region, lineNumbers: found.numbers };
}

/**
 * The lines of `region` in `source` (the whole file when region is undefined),
 * without region marker lines, or a sentence saying why there are none.
 */
export function extractRegion(source: string, region?: string): Region | string {
  const all = source.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  const open: { name: string; line: number }[] = [];
  const seen = new Set<string>();
  const out: Region = { lines: [], numbers: [] };
  let inside = region === undefined;
  let closed = false;
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    const start = START.exec(line);
    const end = END.exec(line);
    if (start) {
      const name = start[1]!;
      if (seen.has(name)) return `region "${name}" is marked twice (line ${i + 1})`;
      seen.add(name);
      open.push({ name, line: i + 1 });
      if (name === region) inside = true;
    } else if (end) {
      const top = open.pop();
      if (!top) return `line ${i + 1} ends a region that was never started`;
      if (end[1] !== undefined && end[1] !== top.name) {
        return `line ${i + 1} ends region "${end[1]}", but the innermost open region is "${top.name}" (line ${top.line})`;
      }
      if (top.name === region) {
        inside = false;
        closed = true;
      }
    } else if (inside) {
      out.lines.push(line);
      out.numbers.push(i + 1);
    }
  }
  if (open.length > 0)
    return `region "${open.at(-1)!.name}" (line ${open.at(-1)!.line}) is never ended with // #endregion`;
  if (region !== undefined && !closed) {
    const names = [...seen];
    return `has no region "${region}" (${names.length ? `its regions: ${names.join(', ')}` : 'it marks no regions: add // #region ' + region + ' and // #endregion ' + region})`;
  }
  return out;
}

/** Fails when a non-empty fence body differs from the region (trailing spaces aside). */
function checkBody(env: PageEnv, token: Token, found: Region, file: string, region: string | undefined): void {
  if (token.content.trim() === '') return; // an empty body is filled in
  const body = token.content
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => l.trimEnd());
  const want = found.lines.map((l) => l.trimEnd());
  const what = region === undefined ? file : `region "${region}" of ${file}`;
  for (let i = 0; i < Math.max(body.length, want.length); i++) {
    if (body[i] === want[i]) continue;
    const fix = 'Copy the region again, or leave the fence body empty and the renderer fills it in.';
    let detail: string;
    if (i >= want.length)
      detail = `the quote has ${body.length - want.length} more line(s) than the file: "${body[i]}"`;
    else if (i >= body.length)
      detail = `the quote stops early; ${file} line ${found.numbers[i]} goes on with "${want[i]}"`;
    else detail = `this line reads "${body[i]}" but ${file} line ${found.numbers[i]} reads "${want[i]}"`;
    // +1: the body starts on the line after the fence's opening line.
    throw errorAt(
      env,
      token,
      `the code quoted from ${what} has drifted: ${detail}. ${fix}`,
      1 + Math.min(i, body.length),
    );
  }
}
