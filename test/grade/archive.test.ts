// Unpacking submission archives: good ones unpack; traversal, links, zip
// bombs (declared or lying sizes) and gzip bombs are refused whole.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ArchiveError, unpack } from '../../runner/grade/archive.ts';
import { makeTarGz, makeZip } from './archives.ts';

const dir = mkdtempSync(join(tmpdir(), 'workbook-archive-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (name: string, bytes: Buffer): string => {
  const path = join(dir, `${n++}-${name}`);
  writeFileSync(path, bytes);
  return path;
};
const small = Buffer.from('export const x = 1;\n');

describe('unpack', () => {
  it('unpacks a zip and a tar.gz of a submission', async () => {
    for (const archive of [
      file('ok.zip', makeZip([{ name: 'alice/lessons/01-tiny/adder.ts', data: small }])),
      file('ok.tar.gz', makeTarGz([{ name: 'alice/lessons/01-tiny/adder.ts', data: small }])),
    ]) {
      const dest = join(dir, `out-${n++}`);
      await unpack(archive, dest);
      expect(readFileSync(join(dest, 'alice/lessons/01-tiny/adder.ts'), 'utf8')).toBe(small.toString());
    }
  });

  it.each([
    ['zip ../ entry', () => file('a.zip', makeZip([{ name: '../evil.ts', data: small }])), /escapes its folder/],
    ['zip absolute entry', () => file('b.zip', makeZip([{ name: '/evil.ts', data: small }])), /escapes/],
    ['zip nested ../', () => file('c.zip', makeZip([{ name: 'a/../../evil.ts', data: small }])), /escapes/],
    ['zip link', () => file('d.zip', makeZip([{ name: 'l', data: Buffer.from('/etc'), mode: 0o120777 }])), /link/],
    ['tar ../ entry', () => file('e.tar.gz', makeTarGz([{ name: '../evil.ts', data: small }])), /escapes/],
    ['tar symlink', () => file('f.tar.gz', makeTarGz([{ name: 'x', type: '2', link: '/etc/passwd' }])), /link/],
    ['tar hard link', () => file('g.tar.gz', makeTarGz([{ name: 'x', type: '1', link: '/etc/passwd' }])), /link/],
    [
      'zip bomb (declared size)',
      () => file('h.zip', makeZip([{ name: 'zeros', data: Buffer.alloc(60 * 2 ** 20) }])),
      /more than 50 MiB/,
    ],
    [
      'zip bomb (size that lies)',
      () => file('i.zip', makeZip([{ name: 'zeros', data: Buffer.alloc(60 * 2 ** 20), declaredSize: 10 }])),
      /./,
    ],
    [
      'gzip bomb',
      () => file('j.tar.gz', makeTarGz([{ name: 'zeros', data: Buffer.alloc(60 * 2 ** 20) }])),
      /more than 50 MiB/,
    ],
  ])('refuses a %s and leaves nothing behind', async (_label, make, message) => {
    const dest = join(dir, `refused-${n++}`);
    const error = await unpack(make(), dest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArchiveError);
    expect((error as Error).message).toMatch(message);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(join(dir, 'evil.ts'))).toBe(false);
  });

  it('refuses a file that is not an archive, with a clear message', async () => {
    const error = await unpack(file('k.zip', Buffer.from('not a zip')), join(dir, 'k')).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/cannot be read as an archive/);
  });
});
