import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { bytewise, expectBytes, pattern, sha256, useTempDirs, withDeadline } from '../../runner/kit/index.ts';
import { takeFrame } from './frame.ts';
import { type Header, type Refusal, type Verdict, jsonFrame } from './protocol.ts';
import { hashFile, sendFile } from './send-file.ts';

const tempDir = useTempDirs('wb04-send-');

interface FakeOptions {
  /** Answer the header with this refusal, at once, before any body byte. */
  refuse?: Refusal;
  /** Finish each write only after a millisecond, like a slow network. */
  slow?: boolean;
  /** After the body, hang up without a verdict. */
  hangUp?: boolean;
  /** Send the verdict one byte per event-loop turn. */
  dribble?: boolean;
  /** Right after the header, before any body byte: send these bytes instead of a verdict, then hang up. */
  cutAtHeader?: Buffer;
}

/**
 * A stand-in for the receiver's end of the connection: it records what the
 * sender writes, parses the header, counts and hashes the body, and
 * answers with a verdict frame once `size` body bytes have arrived.
 */
class FakeReceiver extends Duplex {
  readonly received: Buffer[] = [];
  header: Header | undefined;
  readonly body: Buffer[] = [];
  bodyBytes = 0;
  /** The most bytes ever queued in this stream by the sender, unwritten (its writableLength). */
  peakQueued = 0;
  #pending = Buffer.alloc(0);
  #answered = false;

  constructor(private readonly options: FakeOptions = {}) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // writableLength: bytes the sender has written that this peer has not taken yet.
    this.peakQueued = Math.max(this.peakQueued, this.writableLength);
    this.received.push(Buffer.from(chunk));
    this.#take(Buffer.from(chunk));
    // A slow peer: each write is done only a millisecond later, so a sender
    // that ignores backpressure piles up bytes in this stream's queue.
    if (this.options.slow) setTimeout(() => callback(), 1);
    else callback();
  }

  #take(chunk: Buffer): void {
    if (this.header && this.#answered) {
      // After a refusal: count what the sender still sends, without using it.
      this.bodyBytes += chunk.length;
      return;
    }
    if (!this.header) {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      const frame = takeFrame(this.#pending, 1 << 20);
      if (!frame) return;
      this.header = JSON.parse(frame.payload.toString()) as Header;
      if (this.options.refuse) return this.#answer(this.options.refuse);
      if (this.options.cutAtHeader) {
        this.#answered = true;
        if (this.options.cutAtHeader.length > 0) this.push(this.options.cutAtHeader);
        return void this.push(null);
      }
      chunk = frame.rest;
    }
    const size = this.header.size;
    const piece = chunk.subarray(0, size - this.bodyBytes);
    this.body.push(piece);
    this.bodyBytes += piece.length;
    if (this.bodyBytes === size) {
      const got = Buffer.concat(this.body);
      const ok = sha256(got) === this.header.sha256;
      this.#answer(
        ok
          ? { ok: true, name: this.header.name, size, sha256: this.header.sha256 }
          : { ok: false, code: 'hash-mismatch', message: 'the fake receiver got other bytes' },
      );
    }
  }

  #answer(verdict: Verdict): void {
    this.#answered = true;
    if (this.options.hangUp) return void this.push(null);
    const frame = jsonFrame(verdict);
    if (!this.options.dribble) return void this.push(frame);
    void (async () => {
      for (const byte of bytewise(frame)) {
        await nextTurn();
        this.push(byte);
      }
    })();
  }

  get bodyBuffer(): Buffer {
    return Buffer.concat(this.body);
  }
}

async function fileWith(bytes: Uint8Array, name = 'data.bin'): Promise<string> {
  const path = join(await tempDir(), name);
  await writeFile(path, bytes);
  return path;
}

function sent(promise: Promise<Verdict>, what = 'sendFile never resolved'): Promise<Verdict> {
  return withDeadline(promise, { ms: 5_000, message: what });
}

describe('Task 4: the sender', () => {
  it('hashFile gives the SHA-256 of the file, as 64 lowercase hex digits', async () => {
    const path = await fileWith(Buffer.from('hello'));
    expect(await hashFile(path)).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  });

  it('sends the header frame {name, size, sha256}, then exactly the file, and returns the verdict', async () => {
    const path = await fileWith(Buffer.from('hello'), 'hello.txt');
    const peer = new FakeReceiver();
    const verdict = await sent(sendFile(peer, path));
    expect(peer.header, 'the header your sender sent').toStrictEqual({
      name: 'hello.txt',
      size: 5,
      sha256: sha256(Buffer.from('hello')),
    });
    expectBytes(Buffer.concat(peer.received).subarray(-5), 'hello', 'the body after the header');
    expect(peer.bodyBytes, 'body bytes sent after the header').toBe(5);
    expect(verdict, "sendFile must resolve with the receiver's verdict").toStrictEqual({
      ok: true,
      name: 'hello.txt',
      size: 5,
      sha256: sha256(Buffer.from('hello')),
    });
  });

  it('sends the file under the name it is given', async () => {
    const path = await fileWith(Buffer.from('x'), 'local-name.tmp');
    const peer = new FakeReceiver();
    await sent(sendFile(peer, path, 'shared.txt'));
    expect(peer.header?.name).toBe('shared.txt');
  });

  it('sends a 0-byte file as a header with size 0 and the SHA-256 of nothing, and no body', async () => {
    const path = await fileWith(Buffer.alloc(0), 'empty');
    const peer = new FakeReceiver();
    const verdict = await sent(sendFile(peer, path));
    expect(peer.header).toStrictEqual({
      name: 'empty',
      size: 0,
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    expect(verdict.ok).toBe(true);
  });

  it('sends binary content with every byte value unchanged', async () => {
    const bytes = pattern(256 * 1024);
    const peer = new FakeReceiver();
    const verdict = await sent(sendFile(peer, await fileWith(bytes)));
    expectBytes(peer.bodyBuffer, bytes, 'the body received');
    expect(verdict.ok).toBe(true);
  });

  it('streams 8 MiB to a slow receiver without queuing more than 2 MiB (backpressure)', async () => {
    const bytes = pattern(8 * 1024 * 1024);
    const peer = new FakeReceiver({ slow: true });
    const verdict = await sent(
      sendFile(peer, await fileWith(bytes)),
      'sendFile did not finish sending 8 MiB to a slow receiver',
    );
    expectBytes(peer.bodyBuffer, bytes, 'the 8 MiB body received');
    expect(verdict.ok).toBe(true);
    expect(
      peer.peakQueued,
      `your sender queued ${peer.peakQueued} bytes in the socket at once (the limit here is 2 MiB): read the file in chunks and respect backpressure (stream.pipeline, or write() and drain)`,
    ).toBeLessThan(2 * 1024 * 1024);
  });

  it('stops sending the body when the receiver refuses the header, and returns the refusal', async () => {
    const refusal: Refusal = { ok: false, code: 'exists', message: 'a file named data.bin is already there' };
    const peer = new FakeReceiver({ refuse: refusal });
    const verdict = await sent(sendFile(peer, await fileWith(pattern(8 * 1024 * 1024))));
    expect(verdict, 'sendFile must resolve with the refusal').toStrictEqual(refusal);
    expect(
      peer.bodyBytes,
      `your sender sent ${peer.bodyBytes} body bytes after the receiver had refused (the limit here is 4 MiB): stop sending once the verdict is in`,
    ).toBeLessThan(4 * 1024 * 1024);
  });

  it('closes the connection when it is done', async () => {
    const peer = new FakeReceiver();
    await sent(sendFile(peer, await fileWith(Buffer.from('bye'))));
    expect(peer.destroyed, 'one connection, one file: sendFile must close (destroy) the socket at the end').toBe(true);
  });

  it('reads a verdict that arrives one byte at a time', async () => {
    const peer = new FakeReceiver({ dribble: true });
    const verdict = await sent(
      sendFile(peer, await fileWith(Buffer.from('slowly'), 'slow.txt')),
      'sendFile never put the verdict together',
    );
    expect(verdict).toMatchObject({ ok: true, name: 'slow.txt', size: 6 });
  });

  it('fails, rather than hang, when the receiver hangs up without a verdict', async () => {
    const peer = new FakeReceiver({ hangUp: true });
    let failure = '';
    const outcome = await withDeadline(
      sendFile(peer, await fileWith(Buffer.from('lost'))).then(
        (v) => `resolved with ${JSON.stringify(v)}`,
        (error: Error) => ((failure = error.message), 'rejected'),
      ),
      { message: 'sendFile neither failed nor resolved after the receiver hung up without a verdict' },
    );
    expect(peer.bodyBytes, `sendFile must first send the header and the whole body (it failed with: ${failure})`).toBe(
      4,
    );
    expect(outcome, 'with no verdict, sendFile must reject').toBe('rejected');
  });

  // The reason is the receiver's, not the body's: the body stops because
  // no verdict can come, and the error must say why.
  it.each([
    ['hangs up right after the header', Buffer.alloc(0), /ended|closed/],
    ['announces a verdict of 4097 bytes', Buffer.from('00001001', 'hex'), /4097/],
  ])('fails with the reason when the receiver %s', async (_what, bytes, reason) => {
    const peer = new FakeReceiver({ cutAtHeader: bytes });
    const error = await withDeadline(
      sendFile(peer, await fileWith(pattern(4 * 1024 * 1024))).then(
        (v) => new Error(`resolved with ${JSON.stringify(v)}`),
        (e: Error) => e,
      ),
      { message: 'sendFile neither failed nor resolved' },
    );
    expect(error.message, 'the error must say what went wrong with the verdict').toMatch(reason);
  });

  it('fails when the file does not exist, and sends nothing', async () => {
    const peer = new FakeReceiver();
    const missing = join(await tempDir(), 'no-such-file');
    await expect(withDeadline(sendFile(peer, missing))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(peer.received.length, 'bytes sent for a file that does not exist').toBe(0);
  });
});
