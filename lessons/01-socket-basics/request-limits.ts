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
  // TODO: before connecting, throw a RangeError unless port is a whole number from 1 to 65535,
  // timeoutMs is from 1 to MAX_TIMER_MS, and maxReplyBytes is a whole number >= 0.
  // TODO: then do what your request() from task 2 does (copy it here), and add:
  //   - one setTimeout(..., timeoutMs) started now, for the whole request: when it fires,
  //     reject with a RequestError whose code is 'ETIMEDOUT' (socket.setTimeout would restart
  //     at every byte, so a slow trickle would never time out);
  //   - a running count of the reply's bytes: past maxReplyBytes, reject with code 'ERR_REPLY_TOO_LARGE';
  //   - on every way out: clear the timer, and destroy the socket whenever you reject.
  throw new Error('TODO: write requestWithLimits (task 3 in lessons/01-socket-basics/README.md)');
}
