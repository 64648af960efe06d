import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapshotTree, useTempDirs } from '../../runner/kit/index.ts';
import { safeTarget } from './safe-name.ts';

const tempDir = useTempDirs('wb04-name-');

/** Calls safeTarget and returns the error it throws (or fails if it returns). */
function refusal(root: string, name: string): { code?: unknown; message: string } {
  let result: string;
  try {
    result = safeTarget(root, name);
  } catch (error) {
    return error as { code?: unknown; message: string };
  }
  throw new Error(
    `safeTarget accepted the name ${show(name)} and returned ${show(result)}; it must throw a TransferError with code 'bad-name'`,
  );
}

/** A name as a test title shows it: JSON, with long runs shortened. */
function show(name: string): string {
  return JSON.stringify(name)
    .replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/(.)\1{9,}/gu, (run, c: string) => `${c.repeat(3)}…(${[...run].length} × ${c})`);
}

const refused: Array<[string, string]> = [
  ['../x', 'climbs out of the folder'],
  ['/etc/passwd', 'is an absolute path'],
  ['a/../../b', 'hides ".." inside a path'],
  ['..', 'is the parent folder'],
  ['.', 'is the folder itself'],
  ['C:\\x', 'is a Windows drive path'],
  ['C:x', 'is a Windows drive-relative path'],
  ['a\\b', 'has a Windows path separator'],
  ['a/b', 'has a path separator'],
  ['x\0y', 'has a NUL byte'],
  ['tab\there', 'has a tab'],
  ['two\nlines', 'has a newline'],
  ['del\x7f', 'has DEL'],
  ['c1\x85', 'has a C1 control character (NEL)'],
  ['half\ud800.txt', 'is broken Unicode (a lone surrogate)'],
  ['', 'is empty'],
  ['.bashrc', 'starts with a dot'],
  ['..hidden', 'starts with two dots'],
  ['name.', 'ends with a dot'],
  ['name ', 'ends with a space'],
  ['x'.repeat(256), 'is 256 bytes long'],
  ['é'.repeat(128), 'is 128 characters but 256 bytes of UTF-8'],
  ['CON', 'is a Windows device name'],
  ['nul', 'is a Windows device name, in lower case'],
  ['Aux.txt', 'is a Windows device name with an extension'],
  ['com1.tar.gz', 'is a Windows device name with two extensions'],
  ['LPT9', 'is a Windows printer port'],
  ['PRN .txt', 'is a Windows device name (Windows drops the space before the dot)'],
  ['COM¹', 'is a Windows device name with a superscript digit'],
];

describe('Task 1: a name from the network is only a name', () => {
  it('accepts an ordinary name and returns the path inside the root', () => {
    const root = join('/srv', 'inbox');
    expect(safeTarget(root, 'report.pdf'), 'the path for "report.pdf" in /srv/inbox').toBe(resolve(root, 'report.pdf'));
  });

  it.each(
    [
      ['résumé final.txt', 'accents and a space'],
      ['数据.csv', 'Chinese characters'],
      ['a'.repeat(255), 'exactly 255 bytes'],
      [`${'é'.repeat(127)}a`, '255 bytes of UTF-8 in 128 characters'],
      ['photo (1).jpeg', 'brackets'],
      ['v1.2.3-final_draft.tar.gz', 'several dots, dashes and underscores'],
      ['console.log', 'a name that starts like a Windows device name (CON)'],
      ['nul1.txt', 'NUL followed by a digit, which is not a device'],
      ['my.con', 'CON as an extension'],
      ['CON\u00a0.txt', 'CON and a no-break space, which is not a space (U+0020)'],
    ].map(([name, what]) => [show(name!), what, name!]),
  )('accepts %s (%s)', (_shown, _what, name) => {
    const root = resolve('/srv/inbox');
    const target = safeTarget(root, name);
    expect(
      relative(root, target),
      `the path for ${JSON.stringify(name)} must be the name itself, straight inside the root`,
    ).toBe(name);
  });

  it.each(refused.map(([name, why]) => [show(name), why, name]))(
    'refuses %s with code bad-name (it %s)',
    (_shown, _why, name) => {
      const error = refusal('/srv/inbox', name);
      expect(
        error.code,
        `the error for ${show(name)} must be a TransferError with code 'bad-name', but it was: ${error.message}`,
      ).toBe('bad-name');
      expect(error.message.length, 'the error must say why the name is refused').toBeGreaterThan(10);
    },
  );

  it('never creates or changes anything on disk, even when refusing', async () => {
    const area = await tempDir();
    const root = join(area, 'inbox');
    const before = await snapshotTree(area);
    for (const [name] of refused) refusal(root, name);
    safeTarget(root, 'fine.txt');
    expect(await snapshotTree(area), 'safeTarget only computes a path; it must not touch the disk').toEqual(before);
  });

  it('gives a path whose relative path from the root is exactly the name (checked with path.relative)', () => {
    const root = '/srv/inbox/';
    const target = safeTarget(root, 'notes.txt');
    expect(relative(resolve(root), target)).toBe('notes.txt');
  });
});
