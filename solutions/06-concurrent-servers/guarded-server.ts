// Lesson 06, task 5: limits a client cannot get past.
//
// Say your event-loop server from task 3 goes on the internet. One client
// opens ten thousand connections; another sends one byte a second and
// never finishes its line (slowloris); a third sends a line that never
// ends. Each one alone can take the server down. Every resource a client
// can make you hold gets a limit: connections, time, and bytes.
import { createServer, type Server, type Socket } from 'node:net';
import { LineSplitter, LineTooLongError, MAX_LINE_BYTES, Refusal, refuse, shout } from './shout-protocol.ts';

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

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Creates (but does not start) the shout server of task 3 with limits: at
 * most `maxConnections` clients (the next one gets `ERR full`), an idle
 * deadline and a total deadline per connection (`ERR timeout`), and at most
 * `maxLineBytes` per request line (`ERR too long`). Each refusal is followed
 * by FIN. Throws a RangeError for a limit that is not a whole number from 1
 * to 2^31 - 1.
 */
export function createGuardedServer(options: GuardedServerOptions = {}): Server {
  const maxConnections = checked('maxConnections', options.maxConnections ?? 1_000);
  const idleMs = checked('idleMs', options.idleMs ?? 10_000);
  const totalMs = checked('totalMs', options.totalMs ?? 60_000);
  const maxLineBytes = checked('maxLineBytes', options.maxLineBytes ?? MAX_LINE_BYTES);
  let connected = 0;

  // allowHalfOpen: a client may send its lines and end its side at once; it still gets every reply.
  return createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    // Node's own server.maxConnections would close this socket without a
    // word; the client could not tell "full" from a crash. Count, and say so.
    if (connected >= maxConnections) return refuse(socket, Refusal.full);
    connected++;
    socket.once('close', () => connected--);

    // The idle timer restarts on every read and write, so a client that
    // sends one byte a second never trips it. The total deadline does.
    const timedOut = (): void => refuse(socket, Refusal.timeout); // ends, then destroys within 1 s
    socket.setTimeout(idleMs, timedOut);
    const total = setTimeout(timedOut, totalMs);
    socket.once('close', () => clearTimeout(total));

    serve(socket, maxLineBytes);
  });
}

/** Task 3's callbacks: the shout of every line, with backpressure. */
function serve(socket: Socket, maxLineBytes: number): void {
  const splitter = new LineSplitter(maxLineBytes);
  socket.on('data', (chunk: Buffer) => {
    if (socket.writableEnded) return; // refused (full, timeout, too long): read and drop
    const replies: Buffer[] = [];
    let tooLong = false;
    try {
      for (const line of splitter.lines(chunk)) replies.push(shout(line));
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      tooLong = true;
    }
    // A client that floods requests and never reads: stop reading it
    // until its replies drain, so what it costs stays bounded.
    if (replies.length > 0 && !socket.write(Buffer.concat(replies))) socket.pause();
    if (tooLong) refuse(socket, Refusal.tooLong);
  });
  socket.on('drain', () => socket.resume());
  socket.on('end', () => socket.end());
}

function checked(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_TIMER_MS)
    throw new RangeError(`${name} must be a whole number from 1 to ${MAX_TIMER_MS}, got ${value}`);
  return value;
}
