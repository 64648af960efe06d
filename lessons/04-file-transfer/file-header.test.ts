import { describe, expect, it } from 'vitest';
import { sha256 } from '../../runner/kit/index.ts';
import { parseHeader } from './file-header.ts';
import { MAX_HEADER_BYTES } from './protocol.ts';

const SHA_OF_HELLO = sha256('hello');
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** Calls parseHeader and returns the error it throws (or fails if it returns). */
function refusal(payload: Uint8Array): { code?: unknown; message: string } {
  let result: unknown;
  try {
    result = parseHeader(payload);
  } catch (error) {
    return error as { code?: unknown; message: string };
  }
  const clip = (text: string): string =>
    text.length > 150 ? `${text.slice(0, 150)}… (${text.length} characters in all)` : text;
  throw new Error(
    `parseHeader accepted ${clip(JSON.stringify(Buffer.from(payload).toString()))} and returned ${clip(JSON.stringify(result))}; it must throw a TransferError with code 'bad-header'`,
  );
}

describe('Task 2: parse and check the header', () => {
  it('parses {"name","size","sha256"} into exactly those three fields', () => {
    const header = parseHeader(json({ name: 'hello.txt', size: 5, sha256: SHA_OF_HELLO }));
    expect(header).toStrictEqual({ name: 'hello.txt', size: 5, sha256: SHA_OF_HELLO });
  });

  it('ignores other members and copies nothing else from the network (not even "__proto__")', () => {
    const payload = Buffer.from(
      `{"name":"a","size":1,"sha256":"${SHA_OF_HELLO}","admin":true,"__proto__":{"polluted":1}}`,
    );
    const header = parseHeader(payload) as unknown as Record<string, unknown>;
    expect(Object.keys(header).sort(), 'the result must hold only name, size and sha256').toEqual([
      'name',
      'sha256',
      'size',
    ]);
    expect(Object.getPrototypeOf(header), 'the result must be a plain object built by your code').toBe(
      Object.prototype,
    );
    expect(header.polluted).toBeUndefined();
  });

  it('accepts a size of 0 and of Number.MAX_SAFE_INTEGER', () => {
    expect(parseHeader(json({ name: 'empty', size: 0, sha256: SHA_OF_HELLO })).size).toBe(0);
    expect(parseHeader(json({ name: 'huge', size: Number.MAX_SAFE_INTEGER, sha256: SHA_OF_HELLO })).size).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('accepts a "size" written 5.0 or 5e0: JSON numbers are read as doubles, and their value counts', () => {
    for (const size of ['5.0', '5e0', '0.5e1'])
      expect(parseHeader(Buffer.from(`{"name":"a","size":${size},"sha256":"${SHA_OF_HELLO}"}`)).size, size).toBe(5);
  });

  it('accepts the same name in different objects, and a value that looks like a member name', () => {
    const payload = `{"name":"name","size":1,"sha256":"${SHA_OF_HELLO}","meta":{"name":"x","list":[{"name":1},{"name":2}]}}`;
    expect(parseHeader(Buffer.from(payload)).name).toBe('name');
  });

  it('skips one byte order mark (EF BB BF) before the JSON, as TextDecoder does', () => {
    const payload = Buffer.concat([
      Buffer.of(0xef, 0xbb, 0xbf),
      json({ name: 'bom.txt', size: 1, sha256: SHA_OF_HELLO }),
    ]);
    expect(parseHeader(payload).name).toBe('bom.txt');
  });

  it('accepts a name with non-ASCII characters (UTF-8 JSON)', () => {
    expect(parseHeader(json({ name: 'résumé.pdf', size: 1, sha256: SHA_OF_HELLO })).name).toBe('résumé.pdf');
  });

  const good = { name: 'a.txt', size: 5, sha256: SHA_OF_HELLO };
  it.each<[string, Uint8Array]>([
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
    ['text that is not JSON', Buffer.from('name=a.txt&size=5')],
    ['an empty payload', Buffer.alloc(0)],
    ['a JSON array', json([good])],
    ['JSON null', json(null)],
    ['a JSON string', json('a.txt')],
    ['a missing "name"', json({ size: 5, sha256: SHA_OF_HELLO })],
    ['a "name" that is a number', json({ ...good, name: 42 })],
    ['a missing "size"', json({ name: 'a.txt', sha256: SHA_OF_HELLO })],
    ['a negative "size"', json({ ...good, size: -1 })],
    ['a fractional "size"', json({ ...good, size: 1.5 })],
    ['a "size" given as a string', json({ ...good, size: '5' })],
    ['a "size" past 2^53 - 1', Buffer.from(`{"name":"a","size":9007199254740993,"sha256":"${SHA_OF_HELLO}"}`)],
    ['a missing "sha256"', json({ name: 'a.txt', size: 5 })],
    ['an upper-case "sha256"', json({ ...good, sha256: SHA_OF_HELLO.toUpperCase() })],
    ['a "sha256" of 63 digits', json({ ...good, sha256: SHA_OF_HELLO.slice(1) })],
    ['a "sha256" that is not hex', json({ ...good, sha256: 'z'.repeat(64) })],
    [`a payload over ${MAX_HEADER_BYTES} bytes`, json({ ...good, pad: ' '.repeat(MAX_HEADER_BYTES) })],
    [
      '"name" twice (JSON.parse keeps the last one)',
      Buffer.from(`{"name":"../x","name":"ok.txt","size":5,"sha256":"${SHA_OF_HELLO}"}`),
    ],
    ['"size" twice', Buffer.from(`{"name":"a","size":5,"sha256":"${SHA_OF_HELLO}","size":6}`)],
    [
      '"name" twice, once spelled with an escape',
      Buffer.from(`{"n\\u0061me":"../x","name":"a","size":5,"sha256":"${SHA_OF_HELLO}"}`),
    ],
    [
      'a member twice inside another member',
      Buffer.from(`{"name":"a","size":5,"sha256":"${SHA_OF_HELLO}","x":{"y":1,"y":2}}`),
    ],
    ['a "size" of 1e400 (Infinity as a double)', Buffer.from(`{"name":"a","size":1e400,"sha256":"${SHA_OF_HELLO}"}`)],
  ])('refuses %s with code bad-header', (_what, payload) => {
    const error = refusal(payload);
    expect(error.code, `the error must be a TransferError with code 'bad-header', but it was: ${error.message}`).toBe(
      'bad-header',
    );
    expect(error.message.length, 'the error must say what is wrong').toBeGreaterThan(10);
  });
});
