// Lesson 01, task 7: a UDP pinger.
//
// Say you want to know how good the path to a server is: how long a round
// trip takes, and how many packets get lost. This is Kurose and Ross's UDP
// pinger: send numbered pings one at a time, wait a little for each echo,
// and report the round-trip times and the loss rate. UDP makes it honest
// work: replies can be lost, duplicated, or arrive too late.
import { createSocket } from 'node:dgram';
import { isIPv4 } from 'node:net';

// #region report
/** What a run of pings measured. */
export interface PingReport {
  /** How many pings were sent (always `count`). */
  sent: number;
  /** How many pings got their reply in time. */
  received: number;
  /** (sent - received) / sent: 0 means no loss, 1 means every ping was lost. */
  lossRate: number;
  /** One entry per ping, in order: the round-trip time in ms, or null if no reply came in time. */
  rttsMs: Array<number | null>;
}
// #endregion report

export interface PingOptions {
  /** How many pings to send. Default 10. */
  count?: number;
  /** How long to wait for each reply, in ms. Default 1,000. */
  timeoutMs?: number;
  /** The server's IPv4 address (not a name). Default '127.0.0.1'. */
  host?: string;
}

/**
 * Sends `count` pings to `host`:`port`, one at a time. Ping number `seq`
 * (1, 2, ...) is the datagram `PING <seq> <sendTimeMs>` in ASCII, where
 * sendTimeMs is Date.now() when it was sent. After each ping it waits at
 * most `timeoutMs` for the same bytes to come back from `host`:`port`,
 * then sends the next. Replies that do not match the ping being waited for
 * (duplicates, late replies to earlier pings, anything else) are ignored.
 *
 * Resolves with the report; never rejects for lost or refused pings. Rejects
 * with a RangeError for a bad port or option. Closes its socket before resolving.
 */
export async function ping(
  port: number,
  { count = 10, timeoutMs = 1_000, host = '127.0.0.1' }: PingOptions = {},
): Promise<PingReport> {
  // TODO: throw a RangeError for a bad port (1..65535), count (1..10000), timeoutMs (1..2 ** 31 - 1)
  // or host (not an IPv4 address: see isIPv4 from 'node:net').
  // TODO: create a 'udp4' socket, with an 'error' listener (a refused ping is a lost ping, not a crash).
  // TODO: for seq = 1..count: send `PING ${seq} ${Date.now()}`, then wait for a 'message' with exactly
  // those bytes from host:port, or for timeoutMs, whichever comes first; record the RTT or null.
  // Measure the RTT with performance.now(). Ignore every other datagram.
  // TODO: close the socket (await its close callback), then return the report.
  throw new Error('TODO: write ping (task 7 in lessons/01-socket-basics/README.md)');
}
