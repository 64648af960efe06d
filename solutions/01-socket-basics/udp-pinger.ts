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

const MAX_TIMER_MS = 2 ** 31 - 1;

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
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new RangeError(`port must be an integer from 1 to 65535, got ${port}`);
  if (!Number.isInteger(count) || count < 1 || count > 10_000)
    throw new RangeError(`count must be a whole number from 1 to 10000, got ${count}`);
  if (!(timeoutMs >= 1 && timeoutMs <= MAX_TIMER_MS))
    throw new RangeError(`timeoutMs must be from 1 to ${MAX_TIMER_MS}, got ${timeoutMs}`);
  // Replies are checked against this address, so it must be one, not a name.
  if (!isIPv4(host))
    throw new RangeError(`host must be an IPv4 address such as 127.0.0.1, got ${JSON.stringify(host)}`);

  const socket = createSocket('udp4');
  // An error here (say, an ICMP "port unreachable" reported for one ping)
  // means that ping is lost; its timer already records that.
  socket.on('error', () => {});

  // The ping being waited for, if any. A reply counts only if it is exactly
  // these bytes, from the server's address and port: so a duplicate, a late
  // reply to an earlier ping, or a stranger's datagram never counts.
  let awaited: { bytes: Buffer; answered: () => void } | undefined;
  socket.on('message', (reply, from) => {
    if (awaited && from.port === port && from.address === host && reply.equals(awaited.bytes)) awaited.answered();
  });

  try {
    const rttsMs: Array<number | null> = [];
    for (let seq = 1; seq <= count; seq++) {
      const bytes = Buffer.from(`PING ${seq} ${Date.now()}`, 'ascii');
      rttsMs.push(await pingOnce(bytes));
    }
    const received = rttsMs.filter((rtt) => rtt !== null).length;
    return { sent: count, received, lossRate: (count - received) / count, rttsMs };
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** Sends one ping; resolves with its round-trip time, or null after timeoutMs. */
  function pingOnce(bytes: Buffer): Promise<number | null> {
    return new Promise((resolve) => {
      // performance.now() is a monotonic clock: unlike Date.now(), it never
      // jumps when the system clock is set, so the difference is a true duration.
      const start = performance.now();
      const timer = setTimeout(() => {
        awaited = undefined;
        resolve(null);
      }, timeoutMs);
      awaited = {
        bytes,
        answered: () => {
          clearTimeout(timer);
          awaited = undefined;
          resolve(performance.now() - start);
        },
      };
      socket.send(bytes, port, host);
    });
  }
}
