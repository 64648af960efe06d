// Lesson 01, task 3: a request client with limits.
//
// Your client from task 2 trusts the server: a server that never answers
// keeps it waiting for ever, and a server that never stops sending fills
// its memory. Say the same command-line tool now talks to servers you do
// not control. It needs two limits: a deadline for the whole request, and
// a cap on the size of the reply. And its options come from a user, so it
// checks them before it opens anything.
import { connect } from 'node:net';
import { describeFailure, RequestError, type RequestOptions } from './request-client.ts';

export { RequestError };

// #region options
export interface LimitedRequestOptions extends RequestOptions {
  /** Give up after this many milliseconds for the whole request (connect, send, reply). Default 10,000. */
  timeoutMs?: number;
  /** Give up if the reply grows past this many bytes. Default 16 MiB. */
  maxReplyBytes?: number;
}
// #endregion options

/** The longest delay a Node timer holds; a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The client of task 2, with limits: rejects with a RequestError whose
 * `code` is 'ETIMEDOUT' (no complete reply within `timeoutMs`, counted from
 * the start) or 'ERR_REPLY_TOO_LARGE' (more than `maxReplyBytes`), besides
 * task 2's codes. Rejects with a RangeError, before connecting, for a bad
 * port or option. Never throws synchronously; always destroys the socket
 * when it rejects.
 */
export async function requestWithLimits(
  port: number,
  payload: Uint8Array,
  options: LimitedRequestOptions = {},
): Promise<Buffer> {
  const { timeoutMs = 10_000, host = '127.0.0.1', maxReplyBytes = 16 * 1024 * 1024 } = options;
  // Checked before connecting: a bad timeoutMs found later would leave an
  // open socket behind. In an async function, a throw becomes a rejection.
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new RangeError(`port must be a whole number from 1 to 65535, got ${port}`);
  if (!(timeoutMs >= 1 && timeoutMs <= MAX_TIMER_MS))
    throw new RangeError(`timeoutMs must be from 1 to ${MAX_TIMER_MS}, got ${timeoutMs}`);
  if (!Number.isInteger(maxReplyBytes) || maxReplyBytes < 0)
    throw new RangeError(`maxReplyBytes must be a whole number, 0 or more, got ${maxReplyBytes}`);

  const where = `${host}:${port}`;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;

    const socket = connect({ host, port });
    socket.end(payload);

    // The one way out on failure: stop the timer, free the socket, reject.
    // destroy() matters: a rejected promise alone leaves the socket open.
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };

    // One deadline for the whole request. socket.setTimeout would be the
    // wrong tool: it only measures silence (a server sending one byte a
    // second would keep us for ever), and it only emits 'timeout'.
    const timer = setTimeout(() => {
      fail(
        new RequestError(
          `no complete reply from ${where} within ${timeoutMs} ms (${received} bytes so far)`,
          'ETIMEDOUT',
        ),
      );
    }, timeoutMs);

    // Count before keeping: the cap is checked as the bytes arrive, so a
    // server that never stops sending is cut off at once.
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxReplyBytes) {
        fail(new RequestError(`the reply from ${where} is larger than ${maxReplyBytes} bytes`, 'ERR_REPLY_TOO_LARGE'));
        return;
      }
      chunks.push(chunk);
    });

    socket.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks, received));
    });

    socket.on('error', (error: NodeJS.ErrnoException) => {
      fail(new RequestError(describeFailure(error, where), error.code ?? 'ERR_REQUEST', { cause: error }));
    });
  });
}
