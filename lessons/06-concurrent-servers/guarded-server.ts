// Lesson 06, task 5: limits a client cannot get past.
//
// Say your event-loop server from task 3 goes on the internet. One client
// opens ten thousand connections; another sends one byte a second and
// never finishes its line (slowloris); a third sends a line that never
// ends. Each one alone can take the server down. Every resource a client
// can make you hold gets a limit: connections, time, and bytes.
import { createServer, type Server, type Socket } from 'node:net';
import { LineTooLongError, MAX_LINE_BYTES, Refusal, readLines, refuse, send, shout } from './shout-protocol.ts';

export interface GuardedServerOptions {
  /** Clients served at once; the next one gets "ERR full". Default 1,000. */
  maxConnections?: number;
  /** Close a connection after this long with nothing read or written. Default 10 s. */
  idleMs?: number;
  /** Close a connection this long after it was accepted, however busy it is. Default 60 s. */
  totalMs?: number;
  /** The longest request line, newline not counted. Default 1,024 (MAX_LINE_BYTES). */
  maxLineBytes?: number;
}

/**
 * Creates (but does not start) the shout server of task 3 with limits: at
 * most `maxConnections` clients (the next one gets `ERR full`), an idle
 * deadline and a total deadline per connection (`ERR timeout`), and at most
 * `maxLineBytes` per request line (`ERR too long`). Each refusal is followed
 * by FIN. Throws a RangeError for a limit that is not a whole number from 1
 * to 2^31 - 1.
 */
export function createGuardedServer(options: GuardedServerOptions = {}): Server {
  // TODO: check each limit (RangeError), then start from your task 3 server.
  // In the handler: count the connections yourself (down on 'close'); over
  // maxConnections, refuse(socket, Refusal.full) and return. Then two
  // timers, each ending in refuse(socket, Refusal.timeout): socket.setTimeout(idleMs, ...)
  // for silence, and a plain setTimeout(..., totalMs) for the whole
  // connection, cleared on 'close' (task 5 in the README).
  throw new Error('TODO: write createGuardedServer (task 5 in lessons/06-concurrent-servers/README.md)');
}
