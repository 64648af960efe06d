import { Transform } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DeadlineError, decodeAll } from '../../runner/kit/index.ts';

/** Pushes each chunk's length; fails on a chunk starting with 0xff. */
const lengths = () =>
  new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _encoding, callback) {
      if (chunk[0] === 0xff) return callback(new Error('bad chunk'));
      callback(null, chunk.length);
    },
  });

describe('decodeAll', () => {
  it('writes each chunk, ends the decoder, and collects what it pushed', async () => {
    expect(await decodeAll<number>(lengths(), [Buffer.alloc(2), Buffer.alloc(5)])).toEqual({
      outputs: [2, 5],
      error: undefined,
    });
  });

  it("returns the decoder's error and stops writing once it is destroyed", async () => {
    const { outputs, error } = await decodeAll<number>(lengths(), [Buffer.alloc(1), Buffer.of(0xff), Buffer.alloc(3)]);
    expect(outputs).toEqual([1]);
    expect(error?.message).toBe('bad chunk');
  });

  it('names the decoder when it never finishes', async () => {
    const stuck = new Transform({ transform() {}, flush() {} });
    const error = await decodeAll(stuck, [Buffer.alloc(1)], 'LineDecoder').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineError);
    expect((error as Error).message).toMatch(
      /^your LineDecoder never finished: after end\(\) it emitted neither 'end' nor 'error'/,
    );
  }, 5_000);
});
