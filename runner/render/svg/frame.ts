// A `frame` fence: the byte layout of a message, one field per line,
//   <size> <name> <description>
// where size is a byte count, the name of an earlier field that holds the
// size (`length`), or `...` for the rest. It becomes a row of boxes with the
// byte offsets above and sizes below, plus a table (offset, size, field,
// meaning) that carries the same facts as text.
import { esc } from '../html.ts';
import { DiagramError, contentLines, r, svgOpen, textWidth } from './common.ts';

export interface FrameField {
  name: string;
  /** Bytes, or the name of the field that holds the size, or 'rest'. */
  size: number | string;
  description: string;
  /** The field's offset: a number, or an expression such as `4 + length`. */
  offset: string;
}

const FIELD = /^(\d+|\.\.\.|[A-Za-z_][\w.-]*)\s+([A-Za-z_][\w.-]*)(?:\s+(.*))?$/;

/** Parses a frame fence's body. Throws DiagramError naming the line at fault. */
export function parseFrame(body: string): FrameField[] {
  const fields: FrameField[] = [];
  let fixed = 0;
  const variable: string[] = [];
  for (const { text, index } of contentLines(body)) {
    const m = FIELD.exec(text);
    if (!m)
      throw new DiagramError(
        `"${text}" is not a field: write "<size> <name> <description>", e.g. "4 length u32be: how many bytes follow"`,
        index,
      );
    const [, sizeText, name, description = ''] = m as unknown as [string, string, string, string?];
    const last = fields.at(-1);
    if (last?.size === 'rest')
      throw new DiagramError(
        `field "${name}" comes after "${last.name}", which already takes the rest of the frame`,
        index,
      );
    if (fields.some((f) => f.name === name)) throw new DiagramError(`field "${name}" is defined twice`, index);
    let size: number | string;
    if (sizeText === '...') size = 'rest';
    else if (/^\d+$/.test(sizeText)) {
      size = Number(sizeText);
      if (size === 0)
        throw new DiagramError(`field "${name}" has size 0: leave it out, or mention it in the text`, index);
    } else {
      if (!fields.some((f) => f.name === sizeText)) {
        throw new DiagramError(
          `the size of "${name}" is "${sizeText}", but no earlier field has that name (a size is a byte count, an earlier field's name, or ...)`,
          index,
        );
      }
      size = sizeText;
    }
    const offset = [fixed > 0 || variable.length === 0 ? String(fixed) : '', ...variable].filter(Boolean).join(' + ');
    fields.push({ name, size, description: description.trim(), offset });
    if (typeof size === 'number') fixed += size;
    else variable.push(size);
  }
  if (fields.length === 0)
    throw new DiagramError('the frame has no fields: write one "<size> <name> <description>" per line', 0);
  return fields;
}

/** How a field's size reads in words: "4 bytes", "1 byte", "length bytes", "the rest". */
export function sizeWords(size: number | string): string {
  if (size === 'rest') return 'the rest';
  if (typeof size === 'number') return `${size} byte${size === 1 ? '' : 's'}`;
  return `${size} bytes`;
}

const BOX_H = 44;
const TOP = 22; // room for the offsets above the boxes
const ROW_H = TOP + BOX_H + 26; // offsets, box, size label below
const MAX_W = 680;
const PAD = 2;
const NAME_SIZE = 14;
const SMALL = 12;

/**
 * The SVG drawing of `fields`. `id` is unique in the page; `renderInline`
 * turns a description's Markdown into HTML for the table.
 */
export function renderFrame(
  fields: FrameField[],
  opts: { id: string; title: string; renderInline: (md: string) => string },
): string {
  // Widths: a fixed field gets 26 units a byte (up to 8 bytes' worth), a
  // variable one a fixed width with a torn right edge; never narrower than its name.
  const boxes = fields.map((f) => {
    const nameW = textWidth(f.name, NAME_SIZE) + 24;
    const sizeW = textWidth(sizeWords(f.size), SMALL) + 12;
    const natural = typeof f.size === 'number' ? Math.min(f.size, 8) * 26 : 170;
    return { field: f, w: Math.max(nameW, sizeW, natural, 52), x: 0, row: 0 };
  });
  let x = PAD;
  let row = 0;
  for (const b of boxes) {
    if (x > PAD && x + b.w > MAX_W - PAD) {
      row++;
      x = PAD;
    }
    b.x = x;
    b.row = row;
    x += b.w;
  }
  const width = Math.max(...boxes.map((b) => b.x + b.w)) + PAD + 8;
  const height = (row + 1) * ROW_H;
  const desc = fields
    .map(
      (f) =>
        `${f.name}: ${sizeWords(f.size)} at offset ${f.offset}${f.description ? `, ${stripMarkdown(f.description)}` : ''}.`,
    )
    .join(' ');
  const parts = [
    svgOpen({ id: opts.id, width, height, title: opts.title, desc: `Byte layout. ${desc}`, kind: 'frame' }),
  ];
  boxes.forEach((b, i) => {
    const y = b.row * ROW_H + TOP;
    const { field } = b;
    const tone = `tone${i % 4}`;
    if (typeof field.size === 'number') {
      parts.push(`<rect class="box ${tone}" x="${r(b.x)}" y="${y}" width="${r(b.w)}" height="${BOX_H}"/>`);
      // One tick per byte boundary, when the bytes are few enough to count.
      if (field.size > 1 && field.size <= 8) {
        const step = b.w / field.size;
        for (let k = 1; k < field.size; k++) {
          const tx = b.x + k * step;
          parts.push(`<path class="tick" d="M${r(tx)} ${y}v6M${r(tx)} ${y + BOX_H}v-6"/>`);
        }
      }
    } else {
      // A torn right edge: the field goes on for as long as its size says.
      const x2 = b.x + b.w;
      const zig = [1, 2, 3, 4].map((k) => `L${r(x2 - (k % 2 ? 7 : 0))} ${r(y + (k * BOX_H) / 4)}`).join('');
      parts.push(`<path class="box ${tone} open" d="M${r(b.x)} ${y}H${r(x2)}${zig}H${r(b.x)}Z"/>`);
    }
    const cx = b.x + (b.w - (typeof field.size === 'number' ? 0 : 7)) / 2;
    parts.push(
      `<text class="name" x="${r(cx)}" y="${y + BOX_H / 2 + 5}" text-anchor="middle">${esc(field.name)}</text>`,
    );
    parts.push(
      `<text class="size" x="${r(cx)}" y="${y + BOX_H + 17}" text-anchor="middle">${esc(sizeWords(field.size))}</text>`,
    );
    parts.push(`<text class="offset" x="${r(b.x + 3)}" y="${y - 7}">${esc(field.offset)}</text>`);
  });
  parts.push('</svg>');
  const rows = fields
    .map(
      (f) =>
        `<tr><td><code>${esc(f.offset)}</code></td><td>${esc(sizeWords(f.size))}</td>` +
        `<td><code>${esc(f.name)}</code></td><td>${opts.renderInline(f.description)}</td></tr>`,
    )
    .join('');
  const table =
    `<div class="table-scroll"><table class="frame-table"><thead><tr><th scope="col">Offset</th><th scope="col">Size</th>` +
    `<th scope="col">Field</th><th scope="col">Meaning</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  return (
    `<figure class="diagram frame">` +
    `<figcaption>${esc(opts.title)}</figcaption>` +
    `<div class="diagram-scroll">${parts.join('')}</div>${table}</figure>\n`
  );
}

/** Plain text from a short Markdown description (for <desc>). */
export function stripMarkdown(text: string): string {
  return text.replace(/[`*_]/g, '');
}
