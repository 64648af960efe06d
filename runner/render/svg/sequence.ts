// A `sequence` fence: who sends what to whom, in order, one line each:
//   client -> server: "hello"      a message
//   client --> server: ACK         a dashed arrow (a reply, or something implicit)
//   client -x server: ping 3       a message that is lost on the way
//   note server: waits for more    a note on one side's lifeline
// It becomes a sequence diagram: one lifeline per participant (in order of
// first appearance), one arrow per message, top to bottom.
import { esc } from '../html.ts';
import { DiagramError, contentLines, r, svgOpen, textWidth } from './common.ts';

export type SequenceStep =
  | { kind: 'message'; from: string; to: string; label: string; style: 'solid' | 'dashed' | 'lost' }
  | { kind: 'note'; who: string; text: string };

export interface Sequence {
  participants: string[];
  steps: SequenceStep[];
}

const NOTE = /^note\s+([^:]+?)\s*:\s*(.*)$/i;
const MESSAGE = /^(.+?)(?:\s*(-->|->)\s*|\s+(-x)\s+)(.+?)\s*:\s*(.*)$/;

/** Parses a sequence fence's body. Throws DiagramError naming the line at fault. */
export function parseSequence(body: string): Sequence {
  const participants: string[] = [];
  const meet = (name: string) => {
    if (!participants.includes(name)) participants.push(name);
    return name;
  };
  const steps: SequenceStep[] = [];
  for (const { text, index } of contentLines(body)) {
    const note = NOTE.exec(text);
    if (note) {
      steps.push({ kind: 'note', who: meet(note[1]!), text: note[2]! });
      continue;
    }
    const m = MESSAGE.exec(text);
    if (!m) {
      throw new DiagramError(
        `"${text}" is neither a message ("client -> server: label") nor a note ("note server: text")`,
        index,
      );
    }
    const arrow = m[2] ?? m[3]!;
    const style = arrow === '-->' ? 'dashed' : arrow === '-x' ? 'lost' : 'solid';
    steps.push({ kind: 'message', from: meet(m[1]!.trim()), to: meet(m[4]!.trim()), label: m[5]!, style });
  }
  if (steps.length === 0)
    throw new DiagramError('the sequence is empty: write one "client -> server: label" per line', 0);
  return { participants, steps };
}

const HEAD_H = 32;
const LABEL = 13;
const NAME = 14;
const GAP = 36; // the least room between two participants' boxes
const MSG_H = 44;
const SELF_H = 54;
const NOTE_H = 40;

/** The SVG drawing of a sequence; `id` is unique in the page. */
export function renderSequence(seq: Sequence, opts: { id: string; title: string }): string {
  const { participants, steps } = seq;
  const col = new Map(participants.map((p, i) => [p, i]));
  const boxW = participants.map((p) => Math.max(textWidth(p, NAME) + 28, 84));
  // gaps[i]: distance between the centres of participant i and i + 1.
  const gaps = participants.slice(1).map((_, i) => (boxW[i]! + boxW[i + 1]!) / 2 + GAP);
  const centre = (i: number) => gaps.slice(0, i).reduce((a, b) => a + b, 0);
  // Widen the gaps until every label fits over its arrow: shortest spans first,
  // each one's shortfall going to its last gap.
  const spans = steps
    .filter((s) => s.kind === 'message')
    .map((s) => ({
      a: Math.min(col.get(s.from)!, col.get(s.to)!),
      b: Math.max(col.get(s.from)!, col.get(s.to)!),
      w: textWidth(s.label, LABEL),
    }))
    .sort((x, y) => x.b - x.a - (y.b - y.a));
  let selfRoom = 0;
  for (const s of spans) {
    if (s.a === s.b) {
      // A message to oneself loops out to the right, with its label beside the loop.
      const need = 40 + s.w + 12;
      if (s.a < gaps.length) gaps[s.a] = Math.max(gaps[s.a]!, need);
      else selfRoom = Math.max(selfRoom, need);
      continue;
    }
    const short = s.w + 28 - (centre(s.b) - centre(s.a));
    if (short > 0) gaps[s.b - 1]! += short;
  }
  const xs = participants.map((_, i) => centre(i));
  let minX = Math.min(...xs.map((x, i) => x - boxW[i]! / 2));
  let maxX = Math.max(...xs.map((x, i) => x + boxW[i]! / 2), xs.at(-1)! + selfRoom);
  const body: string[] = [];
  let y = HEAD_H + 20;
  for (const step of steps) {
    if (step.kind === 'note') {
      const x = xs[col.get(step.who)!]!;
      const w = textWidth(step.text, LABEL, 0.6) + 20;
      minX = Math.min(minX, x - w / 2);
      maxX = Math.max(maxX, x + w / 2);
      body.push(`<rect class="note" x="${r(x - w / 2)}" y="${r(y)}" width="${r(w)}" height="28" rx="3"/>`);
      body.push(`<text class="note-text" x="${r(x)}" y="${r(y + 18.5)}" text-anchor="middle">${esc(step.text)}</text>`);
      y += NOTE_H;
      continue;
    }
    const x1 = xs[col.get(step.from)!]!;
    const x2 = xs[col.get(step.to)!]!;
    const cls = `arrow ${step.style}`;
    if (x1 === x2) {
      y += 6;
      body.push(`<path class="${cls}" d="M${r(x1)} ${r(y)}h32v18h-28"/>`, arrowHead(x1, y + 18, -1));
      body.push(`<text class="label" x="${r(x1 + 40)}" y="${r(y + 13)}">${esc(step.label)}</text>`);
      y += SELF_H - 6;
      continue;
    }
    y += 22;
    const dir = Math.sign(x2 - x1);
    // A lost message's label sits a little higher, clear of the X that ends it.
    const labelY = y - (step.style === 'lost' ? 12 : 8);
    body.push(
      `<text class="label" x="${r((x1 + x2) / 2)}" y="${r(labelY)}" text-anchor="middle">${esc(step.label)}</text>`,
    );
    if (step.style === 'lost') {
      const end = x1 + (x2 - x1) * 0.62;
      body.push(`<path class="${cls}" d="M${r(x1)} ${r(y)}H${r(end)}"/>`);
      body.push(`<path class="lost-mark" d="M${r(end - 6)} ${r(y - 6)}l12 12m0 -12l-12 12"/>`);
    } else {
      body.push(`<path class="${cls}" d="M${r(x1)} ${r(y)}H${r(x2 - dir * 2)}"/>`, arrowHead(x2, y, dir));
    }
    y += MSG_H - 22;
  }
  const height = y + 12;
  const dx = 4 - minX;
  const width = maxX - minX + 8;
  const heads = participants.map((p, i) => {
    const x = xs[i]!;
    return (
      `<path class="lifeline" d="M${r(x)} ${HEAD_H}V${r(height - 4)}"/>` +
      `<rect class="actor" x="${r(x - boxW[i]! / 2)}" y="1" width="${r(boxW[i]!)}" height="${HEAD_H - 2}" rx="4"/>` +
      `<text class="actor-name" x="${r(x)}" y="${HEAD_H / 2 + 5}" text-anchor="middle">${esc(p)}</text>`
    );
  });
  return (
    `<figure class="diagram sequence">` +
    (opts.title ? `<figcaption>${esc(opts.title)}</figcaption>` : '') +
    `<div class="diagram-scroll">` +
    svgOpen({
      id: opts.id,
      width,
      height,
      title: opts.title || `Messages between ${listWords(participants)}`,
      desc: describe(seq),
      kind: 'sequence',
    }) +
    `<g transform="translate(${r(dx)} 0)">${heads.join('')}${body.join('')}</g></svg></div></figure>\n`
  );
}

function arrowHead(x: number, y: number, dir: number): string {
  return `<path class="head" d="M${r(x)} ${r(y)}l${r(-9 * dir)} -4.5v9z"/>`;
}

/** The whole exchange in words, for screen readers (the <desc>). */
export function describe(seq: Sequence): string {
  const lines = seq.steps.map((s, i) => {
    if (s.kind === 'note') return `${i + 1}. Note on ${s.who}: ${s.text}.`;
    const verb = s.style === 'lost' ? 'sends, but it is lost on the way,' : 'sends';
    return `${i + 1}. ${s.from} ${verb} to ${s.to}: ${s.label}.`;
  });
  return `Sequence of ${seq.steps.length} steps between ${listWords(seq.participants)}. ${lines.join(' ')}`;
}

function listWords(names: string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
