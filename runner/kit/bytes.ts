// Byte-level comparisons that show where two buffers part ways, as a hex and
// ASCII dump around the first differing byte.

const ROW = 16;

/** Index of the first differing byte, or -1 when the buffers are equal. */
export function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  // Equal buffers (the common case) are told by one native comparison, not a loop over every byte.
  if (actual.length === expected.length && Buffer.compare(actual, expected) === 0) return -1;
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) if (actual[i] !== expected[i]) return i;
  return actual.length === expected.length ? -1 : n;
}

/** One line of `hexdump -C`: offset, 16 bytes in hex, then printable ASCII. */
export function hexLine(bytes: Uint8Array, offset: number, mark = -1): string {
  const row = bytes.subarray(offset, offset + ROW);
  // The wrong byte is marked with '>' in place of the space before it.
  let hex = '';
  for (let i = 0; i < ROW; i++) {
    hex += offset + i === mark ? '>' : ' ';
    hex += i < row.length ? row[i]!.toString(16).padStart(2, '0') : '  ';
  }
  const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `${offset.toString(16).padStart(8, '0')} ${hex}  |${ascii}|`;
}

/** A short hex + ASCII dump of `bytes`, at most `rows` rows starting at `from`. */
export function hexDump(bytes: Uint8Array, from = 0, rows = 4, mark = -1): string {
  if (bytes.length === 0) return '(no bytes)';
  const lines: string[] = [];
  const start = from - (from % ROW);
  for (let off = start; off < bytes.length && lines.length < rows; off += ROW) lines.push(hexLine(bytes, off, mark));
  if (start + rows * ROW < bytes.length) lines.push(`... ${bytes.length - (start + rows * ROW)} more bytes`);
  return lines.join('\n');
}

/**
 * Explains how `actual` differs from `expected`: the lengths, the offset of
 * the first wrong byte, and a dump of both around it. Returns '' if equal.
 */
export function hexDiff(actual: Uint8Array, expected: Uint8Array): string {
  const at = firstDifference(actual, expected);
  if (at === -1) return '';
  const from = Math.max(0, at - ROW);
  const what =
    at === actual.length
      ? `the received bytes stop after ${plural(actual.length, 'byte')}; ${expected.length - actual.length} more ${expected.length - actual.length === 1 ? 'was' : 'were'} expected`
      : at === expected.length
        ? `${plural(actual.length - expected.length, 'extra byte')} arrived after the ${expected.length} expected`
        : `first difference at byte ${at} (0x${at.toString(16)}): expected 0x${expected[at]!.toString(16).padStart(2, '0')}, got 0x${actual[at]!.toString(16).padStart(2, '0')}`;
  return [
    `${what}.`,
    `expected (${expected.length} bytes):`,
    hexDump(expected, from, 3, at),
    `received (${actual.length} bytes):`,
    hexDump(actual, from, 3, at),
  ].join('\n');
}

/** Thrown by expectBytes: its message is the hex diff. */
export class BytesMismatchError extends Error {
  override name = 'BytesMismatchError';
}

/**
 * Asserts that two byte sequences are equal; on failure the message names
 * `what` was compared and shows the hex diff at the first wrong byte.
 */
export function expectBytes(actual: Uint8Array | string, expected: Uint8Array | string, what = 'the bytes'): void {
  const a = typeof actual === 'string' ? Buffer.from(actual) : actual;
  const e = typeof expected === 'string' ? Buffer.from(expected) : expected;
  const diff = hexDiff(a, e);
  if (diff) throw new BytesMismatchError(`${what}: not the bytes expected; ${diff}`);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
