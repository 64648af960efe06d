// What the two diagram kinds share: text measurement, the accessible <svg>
// wrapper, and the error a diagram line raises (the plugin adds the file).
import { esc } from '../html.ts';

/** A mistake in a diagram's text, at `index` (0-based) among the fence's lines. */
export class DiagramError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}

export const MONO = 0.62; // advance of one monospace character, in ems (a little generous)
export const SANS = 0.56; // average advance of a proportional character, in ems

/** An estimate of the width of `text` in user units: no fonts are measured at build time. */
export function textWidth(text: string, size: number, em = MONO): number {
  let units = 0;
  for (const ch of text) units += /[\u1100-\uffff]/.test(ch) ? 2 : 1; // wide scripts take two cells
  return Math.ceil(units * size * em);
}

/**
 * Opens an inline <svg> that screen readers announce as one image, by its
 * <title> and <desc>. `id` must be unique in the page. The natural width is
 * kept as a maximum (CSS scales the drawing down on a narrow screen).
 */
export function svgOpen(opts: {
  id: string;
  width: number;
  height: number;
  title: string;
  desc: string;
  kind: string;
}): string {
  const { id, width, height, title, desc, kind } = opts;
  const w = Math.ceil(width);
  const h = Math.ceil(height);
  return (
    `<svg class="diagram-svg ${kind}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" ` +
    // Scale down to fit a narrow column, but not below 70%: past that the text is too small, so scroll.
    `style="min-width:${Math.round(w * 0.7)}px" ` +
    `role="img" aria-labelledby="${id}-title ${id}-desc">` +
    `<title id="${id}-title">${esc(title)}</title><desc id="${id}-desc">${esc(desc)}</desc>`
  );
}

/** Splits a fence body into its lines, keeping the index of each for messages. */
export function contentLines(body: string): { text: string; index: number }[] {
  return body
    .replace(/\n$/, '')
    .split('\n')
    .map((text, index) => ({ text: text.trim(), index }))
    .filter((l) => l.text !== '' && !l.text.startsWith('//'));
}

/** Rounds to one decimal, so the SVG text stays short. */
export function r(n: number): string {
  return String(Math.round(n * 10) / 10);
}
