// Lesson 06, task 6: graceful shutdown.
//
// Say you deploy a new version of your server: the old process must stop.
// process.exit() would drop every reply still being computed, and the
// clients would see their connection die halfway through a request. A
// graceful shutdown stops taking new clients, lets the requests already
// running finish, and only then, or at a deadline, closes what is left.
import { createServer, type Server, type Socket } from 'node:net';
import { LineTooLongError, Refusal, readLines, refuse, send } from './shout-protocol.ts';

/** Computes the reply line to one request line (given without its newline). */
export type LineHandler = (line: Buffer) => Promise<Buffer | string>;

/** What shutdown() did with the connections that were open when it began. */
export interface ShutdownReport {
  /** Connections that closed by themselves before the deadline. */
  drained: number;
  /** Connections destroyed at the deadline, their requests unfinished. */
  cut: number;
}

export interface DrainingServer {
  /** The server, not yet listening. */
  server: Server;
  /**
   * Stops accepting, ends idle connections (FIN), lets each request already
   * handed to the handler finish and its reply go out, then ends that
   * connection too. After `graceMs`, destroys whatever is still open.
   * Resolves once every connection is closed. Calling it again returns the
   * same promise. Rejects with a RangeError unless 0 <= graceMs <= 2^31 - 1.
   */
  shutdown(graceMs: number): Promise<ShutdownReport>;
}

/**
 * Creates a line server whose replies come from `handle`, one request at
 * a time per connection, and which can shut down gracefully. A request
 * line read after shutdown began is not handled.
 */
export function createDrainingServer(handle: LineHandler): DrainingServer {
  // TODO: keep every open socket in a Map with a flag "busy: a request is
  // in the handler". Serve each with the for-await loop of task 4, with
  // `await handle(line)` for the reply, and stop the loop (then
  // socket.end()) once shutdown began.
  // shutdown(graceMs): server.close(callback) to stop accepting (the
  // callback runs when the last connection has closed), end() every idle
  // socket now, and destroy() what is left after graceMs (task 6).
  throw new Error('TODO: write createDrainingServer (task 6 in lessons/06-concurrent-servers/README.md)');
}
