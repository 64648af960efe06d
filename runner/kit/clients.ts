// Helpers for testing a learner's client: how its promise settled, said in
// the learner's terms, and the sockets it opened, seen without its help.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { inspect } from 'node:util';
import { afterEach } from 'vitest';
import { withDeadline } from './deadline.ts';

/** What a learner's call is named in messages, and what was going on. */
export interface Call {
  /** The call as the learner wrote it: 'request()'. */
  call: string;
  /** What the test did, ending a sentence: 'nothing listens on the port'. */
  when: string;
  /** How long to wait for the promise to settle (default 2 s). */
  ms?: number;
}

/**
 * Awaits `promise`, which must reject, and returns its error. Fails with a
 * sentence when it resolves, hangs, or rejects with something that is not
 * an Error. A starter's 'TODO:' error is passed on as it is.
 */
export async function rejectionOf(
  promise: Promise<unknown>,
  { call, when, ms = 2_000 }: Call,
): Promise<Error & { code?: string }> {
  const outcome = await withDeadline(
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    { ms, message: `your ${call} neither resolved nor rejected when ${when}` },
  );
  if ('value' in outcome)
    throw new Error(`your ${call} resolved with ${describeValue(outcome.value)} when ${when}; it should reject`);
  const { error } = outcome;
  if (!(error instanceof Error))
    throw new Error(`your ${call} rejected with ${String(error)}, not an Error, when ${when}`);
  if (error.message.startsWith('TODO:')) throw error; // the starter: its TODO says what to do
  return error;
}

/** Fails, quoting the whole error, unless `error.code` is one of `codes`. */
export function expectErrorCode(error: Error & { code?: string }, codes: string[], { call, when }: Call): void {
  if (codes.includes(error.code ?? '')) return;
  throw new Error(
    `when ${when}, ${call} should reject with code ${codes.join(' or ')}, but it rejected with code ${error.code} and the message: ${error.message}`,
  );
}

/** A value in a few words: "a Buffer of 1 byte", never the bytes themselves. */
export function describeValue(value: unknown): string {
  const count = (n: number, noun: string): string => `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
  if (Buffer.isBuffer(value)) return `a Buffer of ${count(value.length, 'byte')}`;
  if (typeof value === 'string') return `a string of ${count(value.length, 'character')}`;
  return inspect(value, { depth: 0, maxStringLength: 40, breakLength: Infinity });
}

/** The sockets the code under test opened with net.connect(), in order. */
export interface ClientSockets {
  /** The first one, or undefined if none was opened that way. */
  first(): Socket | undefined;
  count(): number;
}

const stopWatching: Array<() => void> = [];
afterEach(() => {
  for (const stop of stopWatching.splice(0)) stop();
});

/**
 * Watches, through Node's diagnostics channel, every socket that the code
 * under test opens with net.connect() from now until the test ends; each
 * is destroyed after the test. With `ignoreErrors`, each also gets an
 * 'error' listener at once, so a connection that should never have been
 * made cannot crash the run. (Without it, the learner's own listener is
 * the only one, as in real use.)
 */
export function watchClientSockets({ ignoreErrors = false } = {}): ClientSockets {
  const seen: Socket[] = [];
  const onSocket = (message: unknown): void => {
    const { socket } = message as { socket: Socket };
    if (ignoreErrors) socket.on('error', () => {});
    seen.push(socket);
  };
  subscribe('net.client.socket', onSocket);
  stopWatching.push(() => {
    unsubscribe('net.client.socket', onSocket);
    for (const socket of seen) socket.destroy();
  });
  return { first: () => seen[0], count: () => seen.length };
}

/** After a client gave up, its socket must be destroyed, not left open. */
export function expectClientDestroyed(sockets: ClientSockets, call: string): void {
  const socket = sockets.first();
  if (socket === undefined) return; // not opened with net.connect(): nothing to check
  if (!socket.destroyed)
    throw new Error(`your ${call} rejected but left its socket open: call socket.destroy() when you give up`);
}
