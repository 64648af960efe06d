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

/** Per connection: is a request in the handler right now? */
interface Connection {
  busy: boolean;
}

/**
 * Creates a line server whose replies come from `handle`, one request at
 * a time per connection, and which can shut down gracefully. A request
 * line read after shutdown began is not handled.
 */
export function createDrainingServer(handle: LineHandler): DrainingServer {
  const connections = new Map<Socket, Connection>();
  let closing = false;
  let finished: Promise<ShutdownReport> | undefined;

  const serve = async (socket: Socket, connection: Connection): Promise<void> => {
    try {
      for await (const line of readLines(socket)) {
        if (closing) break; // read after shutdown began: not in flight, not served
        connection.busy = true;
        const reply = await handle(line);
        await send(socket, reply);
        connection.busy = false;
        if (closing) break; // the reply is out: now this connection may end
      }
      socket.end();
    } catch (error) {
      if (error instanceof LineTooLongError) refuse(socket, Refusal.tooLong);
      else socket.destroy(); // the handler failed, or the client reset
    }
  };

  // allowHalfOpen: a client may send its lines and end its side at once; it still gets every reply.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    const connection: Connection = { busy: false };
    connections.set(socket, connection);
    socket.once('close', () => connections.delete(socket));
    void serve(socket, connection);
  });

  const shutdown = (graceMs: number): Promise<ShutdownReport> => {
    if (!(graceMs >= 0 && graceMs <= 2 ** 31 - 1))
      return Promise.reject(new RangeError(`graceMs must be from 0 to 2^31 - 1, got ${graceMs}`));
    finished ??= new Promise((resolve) => {
      closing = true;
      const open = connections.size;
      let cut = 0;
      // A handler that never returns, or a client that never closes its
      // side, must not keep the process alive for ever.
      const deadline = setTimeout(() => {
        for (const socket of connections.keys()) {
          cut++;
          socket.destroy();
        }
      }, graceMs);
      // close() stops accepting now; its callback runs once every
      // connection is closed, which is what "drained" means.
      server.close(() => {
        clearTimeout(deadline);
        resolve({ drained: open - cut, cut });
      });
      // Idle connections have nothing in flight: FIN now. Busy ones end
      // themselves once their reply is written (see serve()).
      for (const [socket, connection] of connections) if (!connection.busy) socket.end();
    });
    return finished;
  };

  return { server, shutdown };
}
