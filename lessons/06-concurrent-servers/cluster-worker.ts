// Lesson 06, task 7: the program each cluster worker runs.
//
// Given complete: read it, don't change it. It is a shout server written
// as task 6's `for await` loop (its drain must know which requests are in
// flight), plus two things a worker needs: it answers `PID` with its own
// process id (so you can see which worker served you), and when the primary sends it
// the message 'shutdown' it drains like task 6: it stops accepting, ends
// idle connections, lets each request in flight finish, and then exits by
// itself once its last connection has closed.
import cluster from 'node:cluster';
import { createServer, type Socket } from 'node:net';
import { LineTooLongError, Refusal, SHUTDOWN_MESSAGE, readLines, refuse, send, shout } from './shout-protocol.ts';

/** The worker's answer to a `PID` line: its process id in decimal. */
function answer(line: Buffer): Buffer | string {
  return line.toString('latin1') === 'PID' ? `${process.pid}\n` : shout(line);
}

const busy = new Map<Socket, boolean>();
let draining = false;

async function serve(socket: Socket): Promise<void> {
  try {
    for await (const line of readLines(socket)) {
      if (draining) break;
      busy.set(socket, true);
      await send(socket, answer(line));
      busy.set(socket, false);
      if (draining) break;
    }
    socket.end();
  } catch (error) {
    if (error instanceof LineTooLongError) refuse(socket, Refusal.tooLong);
    else socket.destroy();
  }
}

// allowHalfOpen: a client may send its lines and end its side at once; it still gets every reply.
const server = createServer({ allowHalfOpen: true }, (socket) => {
  socket.on('error', () => socket.destroy());
  busy.set(socket, false);
  socket.once('close', () => busy.delete(socket));
  void serve(socket);
});

// In a cluster worker, listen() asks the primary for the listening socket:
// every worker shares the primary's port, and the primary hands each new
// connection to one of them in turn (round-robin; not on Windows).
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');

process.on('message', (message) => {
  if (message !== SHUTDOWN_MESSAGE || draining) return;
  draining = true;
  // Once the last connection has closed: leave the cluster, and the process ends.
  server.close(() => cluster.worker?.disconnect());
  for (const [socket, inFlight] of busy) if (!inFlight) socket.end();
});
