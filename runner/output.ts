// Terminal output: colour only on a TTY, never with NO_COLOR or in CI.
import { isAbsolute, relative } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const useColor = (stream: NodeJS.WriteStream = process.stdout): boolean =>
  stream.isTTY === true && !('NO_COLOR' in process.env) && !process.env.CI && process.env.TERM !== 'dumb';

const paint = (open: number, close: number) => (text: string) =>
  useColor() ? `\x1b[${open}m${text}\x1b[${close}m` : text;

export const style = {
  bold: paint(1, 22),
  dim: paint(2, 22),
  red: paint(31, 39),
  green: paint(32, 39),
  yellow: paint(33, 39),
  cyan: paint(36, 39),
};

export const mark = {
  get pass() {
    return style.green('✓');
  },
  get fail() {
    return style.red('✗');
  },
  get warn() {
    return style.yellow('!');
  },
};

/** Writes lines to stdout. */
export function say(...lines: string[]): void {
  process.stdout.write(lines.join('\n') + '\n');
}

/**
 * Writes lines to stdout and resolves once they are handed to the system:
 * the CLI exits right after, and a pipe that is full (a large results.json
 * read by another program) would otherwise lose the rest.
 */
export function sayAll(...lines: string[]): Promise<void> {
  return new Promise((resolve) => process.stdout.write(lines.join('\n') + '\n', () => resolve()));
}

/** Indents every line of `text`. */
export function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((line) => (line ? by + line : line))
    .join('\n');
}

/** A path as the learner types it: relative to the workbook's root, or absolute when outside it. */
export function shown(root: string, file: string): string {
  const rel = relative(root, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel || '.';
}

/** Removes colour codes (for JSON output and files). */
export const plain = stripVTControlCharacters;
