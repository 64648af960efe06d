// Small helpers for writing HTML and SVG by hand: escaping and slugs.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML or SVG text node or a quoted attribute. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** GitHub-style heading slug: lower case, punctuation dropped, spaces to '-'. */
export function slugify(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The plain text of some inline HTML (tags dropped, entities of esc() undone). */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

/**
 * Parses a fence's info string after its first word: `key=value` or
 * `key="a quoted value"` pairs. Returns undefined for text that is not such a
 * list, so the caller can say where it went wrong.
 */
export function parseAttrs(text: string): Map<string, string> | undefined {
  const attrs = new Map<string, string>();
  const pair = /\s*([a-z][a-z0-9-]*)=(?:"([^"]*)"|([^\s"]+))\s*/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = pair.exec(text)) !== null) {
    attrs.set(m[1]!, m[2] ?? m[3]!);
    end = pair.lastIndex;
  }
  return text.slice(end).trim() === '' ? attrs : undefined;
}
