import { createServer, type Server, type Socket } from 'node:net';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  type Call,
  expectBytes,
  expectClientDestroyed,
  expectErrorCode,
  nextEvent,
  pattern,
  rejectionOf,
  requestServer,
  useNetKit,
  watchClientSockets,
  withDeadline,
} from '../../runner/kit/index.ts';
import { requestWithLimits } from './request-limits.ts';

const kit = useNetKit();

/** How requestWithLimits() is named in messages, and what the test did. */
const call = (when: string): Call => ({ call: 'requestWithLimits()', when });

describe('Task 3: a request client with limits', () => {
  it('still resolves with the whole reply, in however many pieces it comes, within the limits', async () => {
    const pieces = ['one ', 'two ', 'three ', 'four'];
    const port = await kit.listen(
      requestServer(kit, async (socket, got) => {
        socket.setNoDelay(true);
        for (const piece of [...pieces, `(${got.length} bytes)`]) {
          await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
          await nextTurn();
        }
        socket.end();
      }),
    );
    const reply = await withDeadline(
      requestWithLimits(port, Buffer.from('count'), { timeoutMs: 2_000, maxReplyBytes: 100 }),
      {
        ms: 3_000,
        message: 'your requestWithLimits() never resolved with a reply written in 5 pieces',
      },
    );
    expectBytes(reply, `${pieces.join('')}(5 bytes)`, 'the reply (written in 5 pieces)');
  });

  it('accepts a reply of exactly maxReplyBytes', async () => {
    const port = await kit.listen(requestServer(kit, (socket) => socket.end('12345')));
    const reply = await withDeadline(requestWithLimits(port, Buffer.from('five'), { maxReplyBytes: 5 }), {
      ms: 3_000,
      message: 'your requestWithLimits() never resolved with a 5-byte reply and maxReplyBytes 5',
    });
    expectBytes(reply, '12345', 'the reply (exactly maxReplyBytes long: it fits)');
  });

  it('rejects with ETIMEDOUT, and destroys its socket, when the server never answers', async () => {
    const watch = watchClientSockets();
    const port = await kit.listen(requestServer(kit, () => {})); // reads the request, never replies
    const when = 'the server never answered (timeoutMs: 200)';
    const error = await rejectionOf(requestWithLimits(port, Buffer.from('hello?'), { timeoutMs: 200 }), call(when));
    expectErrorCode(error, ['ETIMEDOUT'], call(when));
    expect(error.message, 'the error message should say which server: host:port').toContain(`127.0.0.1:${port}`);
    expectClientDestroyed(watch, 'requestWithLimits()');
  });

  it('rejects with ETIMEDOUT when the reply keeps trickling in for longer than timeoutMs', async () => {
    const server = requestServer(kit, async (socket) => {
      // A timer is the point here: one byte every 20 ms keeps an idle timer
      // happy forever. Bounded: at most 200 bytes (4 s).
      for (let i = 0; i < 200 && !socket.destroyed; i++) {
        socket.write('.');
        await sleep(20);
      }
      socket.destroy();
    });
    const port = await kit.listen(server);
    const when = 'the server sent one byte every 20 ms and timeoutMs was 300';
    const error = await rejectionOf(requestWithLimits(port, Buffer.from('slowly'), { timeoutMs: 300 }), {
      ...call(`${when} (timeoutMs limits the whole request, not just silence)`),
      ms: 2_500,
    });
    expectErrorCode(error, ['ETIMEDOUT'], call(when));
  });

  it('rejects with ERR_REPLY_TOO_LARGE, and destroys its socket, when the reply passes maxReplyBytes', async () => {
    const watch = watchClientSockets();
    const server = requestServer(kit, async (socket) => {
      // An endless reply, bounded here at 1,000 writes of 64 KiB; each write
      // waits until the last one left (its callback also fires on error).
      const block = pattern(64 * 1024);
      for (let i = 0; i < 1_000 && !socket.destroyed; i++)
        await new Promise<void>((resolve) => socket.write(block, () => resolve()));
    });
    const port = await kit.listen(server);
    const when = 'the server never stopped sending and maxReplyBytes was 256 KiB';
    const error = await rejectionOf(
      requestWithLimits(port, Buffer.from('tell me everything'), { timeoutMs: 3_000, maxReplyBytes: 256 * 1024 }),
      { ...call(when), ms: 3_500 },
    );
    expectErrorCode(error, ['ERR_REPLY_TOO_LARGE'], call(when));
    expectClientDestroyed(watch, 'requestWithLimits()');
  });

  it('rejects with a RangeError, before connecting and without throwing, for a port out of range or a bad timeout', async () => {
    // A server of the test's own, for the case whose port is valid: if
    // requestWithLimits() connected before checking timeoutMs, the connection lands here.
    const arrived: Array<number | undefined> = [];
    const server = createServer((socket) => {
      socket.on('error', () => {});
      arrived.push(socket.remotePort);
    });
    const port = await kit.listen(server);
    const opened = watchClientSockets({ ignoreErrors: true });
    for (const [badPort, options, what] of [
      [70_000, {}, 'port 70000'],
      [0, {}, 'port 0'],
      [port, { timeoutMs: -1 }, 'timeoutMs -1'],
    ] as const) {
      let promise: Promise<Buffer> | undefined;
      expect(() => {
        promise = requestWithLimits(badPort, Buffer.from('x'), options);
      }, `requestWithLimits() should return a rejected promise for ${what}, not throw`).not.toThrow();
      const error = await rejectionOf(promise!, call(`called with ${what}`));
      expect(
        error,
        `requestWithLimits() should reject with a RangeError for ${what}, got: ${error.message}`,
      ).toBeInstanceOf(RangeError);
      expect(
        opened.count(),
        `requestWithLimits() rejected with a RangeError for ${what}, but only after calling connect(): check the port and every option first, and connect only when all are valid`,
      ).toBe(0);
    }
    // A connection made now reaches the server after any that requestWithLimits() started earlier.
    const probe = await kit.connect(port);
    for (let i = 0; i < 10 && !arrived.includes(probe.localPort); i++) {
      await nextEvent(server, 'connection', { message: "the test's own connection never reached the test's server" });
    }
    expect(
      arrived.length - 1,
      'requestWithLimits() connected to the server although timeoutMs was -1: check every option first, and connect only when all are valid',
    ).toBe(0);
  });
});
