import { describe, expect, it } from 'vitest';
import { decodeAll, expectBytes, hex, newSeed, nextEvent, standardChunkings } from '../../runner/kit/index.ts';
import {
  MAX_HEADER_SIZE,
  MessageDecoder,
  MessageError,
  encodeMessage,
  parseHeader,
  type Message,
  type MessageLimits,
} from './json-header.ts';

const seed = newSeed();

/** A message built by the test itself: u32be header length | header bytes | body. */
function message(header: string | Uint8Array, body: string | Uint8Array = ''): Buffer {
  const h = Buffer.from(header);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(h.length);
  return Buffer.concat([length, h, Buffer.from(body)]);
}

async function decode(
  chunks: readonly Uint8Array[],
  limits?: MessageLimits,
): Promise<{ messages: Message[]; error: Error | undefined }> {
  const { outputs, error } = await decodeAll<Message>(new MessageDecoder(limits), chunks, 'MessageDecoder');
  return { messages: outputs, error };
}

function failure(fn: () => unknown): Error | undefined {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  return undefined;
}

/** Fails with the decoder's own error message, when it failed where it should not have. */
function expectNoError(error: Error | undefined, what: string): void {
  if (error !== undefined)
    throw new Error(
      `${what}, but your MessageDecoder failed: ${error.name}${'code' in error ? ` (code ${String(error.code)})` : ''}: ${error.message}`,
    );
}

function expectMessageError(error: Error | undefined, code: string, what: string): asserts error is MessageError {
  if (error instanceof MessageError && error.code === code) return;
  const got =
    error === undefined
      ? 'nothing was wrong with it'
      : `it failed with ${error.name}${'code' in error ? ` (code ${String(error.code)})` : ''}: ${error.message}`;
  throw new Error(`${what}: expected a MessageError with code ${code}, but ${got}`);
}

const header = (json: string, limits?: MessageLimits) => () => parseHeader(Buffer.from(json), limits);

describe('Task 3: a JSON header and a body', () => {
  describe('encodeMessage', () => {
    it('encodes a.txt holding "hi" as 00 00 00 19, {"name":"a.txt","size":2}, 68 69', () => {
      const expected = Buffer.concat([hex('00 00 00 19'), Buffer.from('{"name":"a.txt","size":2}'), Buffer.from('hi')]);
      expectBytes(encodeMessage('a.txt', Buffer.from('hi')), expected, 'encodeMessage("a.txt", "hi")');
    });

    it('encodes an empty body with size 0, and a UTF-8 name counted in bytes', () => {
      const json = Buffer.from('{"name":"é","size":0}');
      expectBytes(encodeMessage('é', Buffer.alloc(0)), message(json), 'encodeMessage("é", empty)');
    });

    it('refuses an empty name, a name over 255 bytes and a body over the limit', () => {
      expectMessageError(
        failure(() => encodeMessage('', Buffer.from('x'))),
        'BAD_HEADER',
        'encodeMessage with an empty name',
      );
      expectMessageError(
        failure(() => encodeMessage('x'.repeat(256), Buffer.from('x'))),
        'BAD_HEADER',
        'encodeMessage with a 256-byte name',
      );
      expectMessageError(
        failure(() => encodeMessage('big', Buffer.alloc(11), { maxBodySize: 10 })),
        'BODY_TOO_LARGE',
        'an 11-byte body, limit 10',
      );
    });
  });

  describe('parseHeader', () => {
    it('returns the name and size of a good header, ignoring other fields', () => {
      expect(parseHeader(Buffer.from('{"name":"a.txt","size":2}'))).toEqual({ name: 'a.txt', size: 2 });
      expect(parseHeader(Buffer.from(' {"size": 0, "name": "b", "sha256": "ab"} '))).toEqual({ name: 'b', size: 0 });
    });

    it.each([
      ['JSON cut short: {"name":"a.txt","size":2', '{"name":"a.txt","size":2'],
      ["a Python dict, not JSON: {'name':'a.txt','size':2}", "{'name':'a.txt','size':2}"],
      ['an empty header', ''],
      ['NaN for the size (JavaScript has it, JSON does not)', '{"name":"a.txt","size":NaN}'],
      // One byte order mark at the very start is skipped (the TextDecoder's
      // default, and lesson 04's rule); a second one is U+FEFF, not JSON.
      ['two byte order marks (ef bb bf ef bb bf), then JSON', '\uFEFF\uFEFF{"name":"a.txt","size":2}'],
    ])('rejects %s as BAD_JSON', (what, json) => {
      expectMessageError(failure(header(json)), 'BAD_JSON', `a header that is ${what}`);
    });

    it('rejects bytes that are not UTF-8 as BAD_JSON', () => {
      const json = Buffer.concat([Buffer.from('{"name":"'), hex('ff fe'), Buffer.from('","size":1}')]);
      expectMessageError(
        failure(() => parseHeader(json)),
        'BAD_JSON',
        'a header with the bytes ff fe in the name',
      );
    });

    it.each([
      ['null', 'null'],
      ['an array: ["a.txt",2]', '["a.txt",2]'],
      ['a string: "a.txt"', '"a.txt"'],
      ['no name: {"size":2}', '{"size":2}'],
      ['no size: {"name":"a.txt"}', '{"name":"a.txt"}'],
      ['a number for the name: {"name":7,"size":2}', '{"name":7,"size":2}'],
      ['an empty name: {"name":"","size":2}', '{"name":"","size":2}'],
      ['a name of 256 bytes', `{"name":"${'n'.repeat(256)}","size":2}`],
      ['a string for the size: {"name":"a.txt","size":"2"}', '{"name":"a.txt","size":"2"}'],
      ['a fraction for the size: {"name":"a.txt","size":1.5}', '{"name":"a.txt","size":1.5}'],
      ['a negative size: {"name":"a.txt","size":-1}', '{"name":"a.txt","size":-1}'],
      ['null for the size: {"name":"a.txt","size":null}', '{"name":"a.txt","size":null}'],
      // JSON.parse accepts the escape \ud800 alone, but no UTF-8 can hold it.
      ['a name with a lone surrogate: {"name":"a\\ud800","size":2}', '{"name":"a\\ud800","size":2}'],
      [
        'name and size only under "__proto__": {"__proto__":{"name":"x","size":1}}',
        '{"__proto__":{"name":"x","size":1}}',
      ],
    ])('rejects %s as BAD_HEADER', (what, json) => {
      expectMessageError(failure(header(json)), 'BAD_HEADER', `a header of ${what}`);
    });

    it('skips one byte order mark (ef bb bf) at the very start', () => {
      expect(parseHeader(Buffer.from('\uFEFF{"name":"a","size":2}'))).toEqual({ name: 'a', size: 2 });
    });

    it('reads a size by its value as a JavaScript number: 2.0, 2e0 and -0 are whole', () => {
      expect(parseHeader(Buffer.from('{"name":"a","size":2.0}'))).toEqual({ name: 'a', size: 2 });
      expect(parseHeader(Buffer.from('{"name":"a","size":2e0}'))).toEqual({ name: 'a', size: 2 });
      expect(parseHeader(Buffer.from('{"name":"a","size":-0}')).size === 0).toBe(true);
    });

    it('rejects a size over maxBodySize as BODY_TOO_LARGE, and accepts one exactly at it', () => {
      expect(parseHeader(Buffer.from('{"name":"a","size":10}'), { maxBodySize: 10 })).toEqual({ name: 'a', size: 10 });
      expectMessageError(
        failure(header('{"name":"a","size":11}', { maxBodySize: 10 })),
        'BODY_TOO_LARGE',
        'size 11 with maxBodySize 10',
      );
      expectMessageError(
        failure(header('{"name":"a","size":1e300}')),
        'BAD_HEADER',
        'size 1e300 (past 2^53 - 1, where JavaScript numbers no longer count bytes exactly: a bad header, whatever the limit)',
      );
    });

    it('says what is wrong, naming the field', () => {
      expect(
        failure(header('{"name":"a.txt","size":"2"}'))?.message,
        'the error for a string size should name the field "size"',
      ).toMatch(/size/);
      expect(
        failure(header('{"size":2}'))?.message,
        'the error for a missing name should name the field "name"',
      ).toMatch(/name/);
    });
  });

  describe('MessageDecoder', () => {
    const bodies = ['hi', '', 'a body\nwith\0anything in it'];
    const stream = Buffer.concat(
      bodies.map((body, i) => message(JSON.stringify({ name: `file${i}`, size: Buffer.byteLength(body) }), body)),
    );

    it.each(standardChunkings(stream, seed))(
      'decodes three messages (one with an empty body) fed %s',
      async (how, chunks) => {
        const { messages, error } = await decode(chunks);
        expectNoError(error, `decoding ${how}`);
        expect(
          messages.map((m) => m.header),
          `the headers decoded ${how}`,
        ).toEqual(bodies.map((b, i) => ({ name: `file${i}`, size: Buffer.byteLength(b) })));
        messages.forEach((m, i) => expectBytes(m.body, bodies[i]!, `the body of message ${i + 1} (decoded ${how})`));
      },
    );

    it('accepts a header of exactly 64 KiB (65,536 bytes)', async () => {
      const json = '{"name":"pad","size":1}';
      const { messages, error } = await decode([message(json + ' '.repeat(MAX_HEADER_SIZE - json.length), 'x')]);
      expectNoError(error, 'a 64 KiB header is allowed');
      expect(messages.map((m) => m.header)).toEqual([{ name: 'pad', size: 1 }]);
    });

    it('rejects a header length over 64 KiB as soon as the 4 length bytes are in', async () => {
      const decoder = new MessageDecoder();
      const failed = nextEvent<[Error]>(decoder, 'error', {
        message:
          'your decoder got the header length 00 01 00 01 (65,537) and kept waiting for the header: check it against the limit first.',
      });
      decoder.resume();
      decoder.write(hex('00 01 00 01'));
      const [error] = await failed;
      expectMessageError(error, 'HEADER_TOO_LARGE', 'a header length of 65,537');
    });

    it('rejects a size over the body limit as soon as the header is in, before any body byte', async () => {
      const decoder = new MessageDecoder({ maxBodySize: 1000 });
      const failed = nextEvent<[Error]>(decoder, 'error', {
        message:
          'your decoder read {"name":"big","size":1001} with maxBodySize 1000 and kept waiting for the body: check the size first.',
      });
      decoder.resume();
      decoder.write(message('{"name":"big","size":1001}'));
      const [error] = await failed;
      expectMessageError(error, 'BODY_TOO_LARGE', 'size 1001 with maxBodySize 1000');
    });

    it('passes on the error of an invalid header', async () => {
      const { error } = await decode([message('{"name":"a.txt","size":2', 'hi')]);
      expectMessageError(error, 'BAD_JSON', 'a message whose header is cut-short JSON');
    });

    it('keeps the messages that came before a bad one', async () => {
      const { messages, error } = await decode([
        Buffer.concat([message('{"name":"ok","size":2}', 'ok'), message('[]')]),
      ]);
      expectMessageError(error, 'BAD_HEADER', 'a second message whose header is []');
      expect(
        messages.map((m) => m.header.name),
        'the good message before it',
      ).toEqual(['ok']);
    });

    it('fails with TRUNCATED when the stream ends inside the body, naming the 3 missing bytes', async () => {
      const { error } = await decode([message('{"name":"a.txt","size":5}', 'hi')]);
      expectMessageError(error, 'TRUNCATED', 'a 5-byte body cut after "hi"');
      expect(error.message, 'the error should say how many bytes are missing').toMatch(/\b3 bytes missing/);
    });

    it('fails with TRUNCATED when the stream ends inside the header or its length', async () => {
      const inHeader = await decode([message('{"name":"a.txt","size":5}').subarray(0, 10)]);
      expectMessageError(inHeader.error, 'TRUNCATED', 'a stream cut 6 bytes into a 25-byte header');
      expect(inHeader.error.message).toMatch(/\b19 bytes missing/);
      const inLength = await decode([hex('00')]);
      expectMessageError(inLength.error, 'TRUNCATED', 'a stream of one byte');
      expect(inLength.error.message).toMatch(/\b3 bytes missing/);
    });
  });
});
