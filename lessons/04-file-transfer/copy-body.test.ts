import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ScriptedPeer,
  expectBytes,
  newSeed,
  pattern,
  readUntilEnd,
  sha256,
  standardChunkings,
  withDeadline,
} from '../../runner/kit/index.ts';
import { type BodyResult, copyBody } from './copy-body.ts';
import { TransferError } from './protocol.ts';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A Writable that keeps what it is given; `slow` finishes each write on a later event-loop turn. */
function sink({ slow = false, highWaterMark = 16 * 1024 } = {}) {
  const chunks: Buffer[] = [];
  let consumed = 0;
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      const done = (): void => {
        consumed += chunk.length;
        callback();
      };
      if (slow) setImmediate(done);
      else done();
    },
  });
  return {
    stream,
    get bytes() {
      return Buffer.concat(chunks);
    },
    get consumed() {
      return consumed;
    },
  };
}

function copied(promise: Promise<BodyResult>, what = 'copyBody never resolved'): Promise<BodyResult> {
  return withDeadline(promise, { ms: 5_000, message: what });
}

/** Waits for copyBody to fail and returns its error. */
async function failureOf(promise: Promise<BodyResult>, what: string): Promise<{ code?: unknown; message: string }> {
  const outcome = await withDeadline(
    promise.then(
      (result) => ({ result }),
      (error: { code?: unknown; message: string }) => ({ error }),
    ),
    { message: `copyBody neither failed nor resolved when ${what}; it must reject.` },
  );
  if ('result' in outcome)
    throw new Error(`copyBody resolved with ${JSON.stringify(outcome.result)} when ${what}; it must reject`);
  return outcome.error;
}

/** What the source still holds (copyBody leaves it paused), up to its end. */
function restOf(stream: Readable): Promise<Buffer> {
  const rest = readUntilEnd(stream, { message: 'the bytes after the body never arrived: were they lost?' });
  stream.resume();
  return rest;
}

describe('Task 5: copy exactly size bytes, hashing as they pass', () => {
  const body = pattern(1000);
  const seed = newSeed();
  for (const [how, chunks] of standardChunkings(Buffer.concat([body, Buffer.from('NEXT')]), seed)) {
    it(`copies exactly the body and returns its size and SHA-256, delivered ${how}`, async () => {
      const source = new ScriptedPeer();
      const dest = sink();
      const result = copyBody(source, body.length, dest.stream);
      void source.deliver(chunks, { end: true });
      expect(
        await copied(result),
        `copyBody(source, 1000, dest), fed ${how}: the body is 1000 bytes; the 4 after it ("NEXT") are not part of it`,
      ).toStrictEqual({
        bytes: 1000,
        sha256: sha256(body),
      });
      expectBytes(dest.bytes, body, 'the bytes written to dest');
      expectBytes(await restOf(source), 'NEXT', 'what the source holds after the body');
    });
  }

  it('leaves the bytes after the body in the source when they share a chunk', async () => {
    const source = new ScriptedPeer();
    const dest = sink();
    const result = copyBody(source, 5, dest.stream);
    void source.deliver([Buffer.from('helloNEXT')], { end: true });
    expect(
      await copied(result),
      'copyBody(source, 5, dest) fed "helloNEXT": 5 bytes, and the SHA-256 of "hello"',
    ).toStrictEqual({ bytes: 5, sha256: sha256(Buffer.from('hello')) });
    expectBytes(dest.bytes, 'hello', 'dest, which must get the 5 body bytes and nothing more');
    expectBytes(await restOf(source), 'NEXT', 'what the source holds after the 5 body bytes');
  });

  it('copies nothing for a 0-byte body, ends dest, and leaves the source alone', async () => {
    const source = new ScriptedPeer();
    const dest = sink();
    await source.deliver([Buffer.from('NEXT')], { end: true });
    source.pause();
    expect(
      await copied(copyBody(source, 0, dest.stream)),
      'copyBody(source, 0, dest): 0 bytes, the SHA-256 of nothing, and no byte taken from the source',
    ).toStrictEqual({
      bytes: 0,
      sha256: EMPTY_SHA256,
    });
    expect(dest.stream.writableFinished, 'dest must be ended (and finished) even for 0 bytes').toBe(true);
    expectBytes(await restOf(source), 'NEXT', 'the source, which a 0-byte body must not touch');
  });

  it('resolves at once for a 0-byte body, even if the source never sends another byte', async () => {
    // Like a real connection: the sender sent a header with size 0 and now
    // waits for the verdict, so no 'data' and no 'end' will ever come.
    const source = new ScriptedPeer();
    const dest = sink();
    expect(
      await copied(
        copyBody(source, 0, dest.stream),
        'copyBody waited for data for a 0-byte body: with nothing to copy, end dest and resolve without reading the source.',
      ),
    ).toStrictEqual({ bytes: 0, sha256: EMPTY_SHA256 });
  });

  it('ends dest and resolves only once dest has finished', async () => {
    const source = new ScriptedPeer();
    const dest = sink({ slow: true });
    const result = copyBody(source, 3, dest.stream);
    void source.deliver([Buffer.from('abc')]);
    await copied(result);
    expect(dest.stream.writableFinished, 'copyBody resolved before dest had finished writing').toBe(true);
  });

  it('copies binary content with every byte value unchanged', async () => {
    const bytes = pattern(4096);
    const source = new ScriptedPeer();
    const dest = sink();
    const result = copyBody(source, bytes.length, dest.stream);
    void source.deliver([bytes.subarray(0, 1000), bytes.subarray(1000)]);
    expect((await copied(result)).sha256).toBe(sha256(bytes));
    expectBytes(dest.bytes, bytes, 'the bytes written to dest');
  });

  it('copies 8 MiB into a slow dest while holding less than 1 MiB in between (backpressure)', async () => {
    const total = 8 * 1024 * 1024;
    const bytes = pattern(total);
    const dest = sink({ slow: true });
    let produced = 0;
    let peakLag = 0;
    // A source that makes each 64 KiB chunk only when asked, like a socket
    // reading from the kernel: if nobody pauses it, it floods dest.
    const source = new Readable({
      highWaterMark: 64 * 1024,
      read() {
        const n = Math.min(64 * 1024, total - produced);
        if (n === 0) return void this.push(null);
        this.push(bytes.subarray(produced, produced + n));
        produced += n;
        peakLag = Math.max(peakLag, produced - dest.consumed);
      },
    });
    const result = await copied(
      copyBody(source, total, dest.stream),
      'copyBody did not finish copying 8 MiB into a slow dest',
    );
    expect(result).toStrictEqual({ bytes: total, sha256: sha256(bytes) });
    expectBytes(dest.bytes, bytes, 'the 8 MiB written to dest');
    expect(
      peakLag,
      `at the peak, ${peakLag} bytes had been read from the source but not yet written by dest (the limit here is 1 MiB): when dest.write() returns false, pause the source until dest emits 'drain'`,
    ).toBeLessThan(1024 * 1024);
  });

  it("fails with code short-body when the source ends early, and doesn't end dest", async () => {
    const source = new ScriptedPeer();
    const dest = sink();
    const result = copyBody(source, 20, dest.stream);
    void source.deliver([Buffer.from('only ten..')], { end: true });
    const error = await failureOf(result, 'the source ended after 10 of 20 bytes');
    expect(error.code, "the error must be a TransferError with code 'short-body'").toBe('short-body');
    expect(dest.stream.writableEnded, 'a short body must not end dest as if it were complete').toBe(false);
  });

  it('fails with code short-body when the connection is reset mid-body', async () => {
    const source = new ScriptedPeer();
    const dest = sink();
    const result = copyBody(source, 20, dest.stream);
    await source.deliver([Buffer.from('part')]);
    source.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    const error = await failureOf(result, 'the connection was reset after 4 of 20 bytes');
    expect(error.code).toBe('short-body');
  });

  // The class of bug 'an await between a check and its use': the receiver
  // awaits a file check after the header, and the sender vanishes meanwhile.
  // By the time copyBody listens, 'end' or 'close' has already been emitted.
  it('fails with short-body, not a hang, when the source had already ended before copyBody was called', async () => {
    const source = new ScriptedPeer();
    await source.deliver([], { end: true });
    source.resume(); // let 'end' be emitted, as a reader before copyBody would
    await withDeadline(new Promise((resolve) => (source.readableEnded ? resolve(null) : source.once('end', resolve))), {
      message: 'the test source never ended',
    });
    const error = await failureOf(copyBody(source, 20, sink().stream), 'a source that had ended before the call');
    expect(error.code, 'check source.readableEnded before you wait for an end that already came').toBe('short-body');
  });

  it('fails with short-body, not a hang, when the source was reset before copyBody was called', async () => {
    const source = new ScriptedPeer();
    source.on('error', () => {}); // the test's own source: its error is expected
    source.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await withDeadline(new Promise((resolve) => source.once('close', resolve)), {
      message: 'the test source never closed',
    });
    const error = await failureOf(copyBody(source, 20, sink().stream), 'a source that was reset before the call');
    expect(error.code, 'check source.destroyed before you wait for a close that already came').toBe('short-body');
  });

  it('passes on the TransferError of a source destroyed with one before copyBody was called', async () => {
    const source = new ScriptedPeer();
    source.on('error', () => {}); // the test's own source: its error is expected
    source.destroy(new TransferError('timeout', 'the sender sent nothing for 30 s'));
    await withDeadline(new Promise((resolve) => source.once('close', resolve)), {
      message: 'the test source never closed',
    });
    const error = await failureOf(copyBody(source, 20, sink().stream), 'a source that timed out before the call');
    expect(error.code, 'source.errored holds the error it was destroyed with: pass a TransferError on').toBe('timeout');
  });

  it("passes on the source's own TransferError (code timeout) as it is, and leaves dest unended", async () => {
    // In task 7 the receiver's idle timer destroys the socket with this
    // error, and the sender must be told "timeout", not "short-body".
    const source = new ScriptedPeer();
    const dest = sink();
    const result = copyBody(source, 20, dest.stream);
    await source.deliver([Buffer.from('part')]);
    const timeout = new TransferError('timeout', 'the sender sent nothing for 30 s');
    source.destroy(timeout);
    const error = await failureOf(result, "the source failed with TransferError('timeout', ...) after 4 of 20 bytes");
    expect(
      error.code,
      `the source failed with a TransferError of code 'timeout' after 4 of 20 bytes, and copyBody rejected with code ${JSON.stringify(error.code)}: pass a TransferError on as it is (reject(err)); only other errors become 'short-body'`,
    ).toBe('timeout');
    expect(
      error === timeout,
      'copyBody must reject with the very TransferError the source failed with, not a new one',
    ).toBe(true);
    expect(
      dest.stream.writableEnded,
      'a body cut off after 4 of 20 bytes must not end dest as if it were complete',
    ).toBe(false);
    expect(dest.stream.destroyed, 'on failure copyBody leaves dest as it is (the caller destroys it)').toBe(false);
    expectBytes(dest.bytes, 'part', 'dest, which must hold only the 4 bytes that came before the error');
  });

  it("fails with dest's error when writing fails (a full disk)", async () => {
    const source = new ScriptedPeer();
    const dest = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
      },
    });
    const result = copyBody(source, 10, dest);
    void source.deliver([Buffer.from('0123456789')]);
    const error = await failureOf(result, 'dest failed with ENOSPC');
    expect(error.code).toBe('ENOSPC');
  });

  it('continues a hash it is given (for task 8: resuming)', async () => {
    const hash = createHash('sha256').update('first half, ');
    const source = new ScriptedPeer();
    const result = copyBody(source, 11, sink().stream, hash);
    void source.deliver([Buffer.from('second half')]);
    expect((await copied(result)).sha256).toBe(sha256(Buffer.from('first half, second half')));
  });
});
