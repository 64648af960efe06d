// One server of `npm run bench concurrency`, in a process of its own, so
// that the load client never shares its event loop. Started as
//   BENCH_SERVER=<style> BENCH_BACKLOG=<n> node --import tsx server-process.ts
// it listens on 127.0.0.1, port 0, prints the port, and serves until
// SIGTERM. BENCH_WORKERS=<n> runs the same server in node:cluster (task 7's
// startCluster), this file being each worker's program.
import cluster from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../../solutions/06-concurrent-servers/cluster-server.ts';
import { createShoutServer } from '../../solutions/06-concurrent-servers/event-loop-server.ts';
import { createHashServer } from '../../solutions/06-concurrent-servers/hash-server.ts';
import {
  LineTooLongError,
  Refusal,
  SHUTDOWN_MESSAGE,
  readLines,
  refuse,
  send,
  shout,
} from '../../solutions/06-concurrent-servers/shout-protocol.ts';

export const HASH_ITERATIONS = 100_000;

/** The servers the bench runs: the shout protocol written both ways, and task 4's. */
export const styles = {
  /** Task 3's reference: 'data' callbacks. */
  callbacks: () => createShoutServer(),
  /** Task 1's loop without its queue: for await over readLines(), await send(). */
  'for-await': () => createServer((socket) => void serveLoop(socket)),
  /** Task 4's reference: the for-await loop, and HASH on libuv's pool. */
  hash: () => createHashServer({ hashIterations: HASH_ITERATIONS }),
} satisfies Record<string, () => Server>;
export type Style = keyof typeof styles;

async function serveLoop(socket: Socket): Promise<void> {
  socket.on('error', () => socket.destroy());
  try {
    for await (const line of readLines(socket)) await send(socket, shout(line));
    socket.end();
  } catch (error) {
    if (error instanceof LineTooLongError) refuse(socket, Refusal.tooLong);
    else socket.destroy();
  }
}

function serve(style: Style, backlog: number): void {
  const server = styles[style]();
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog }, () => {
    const address = server.address();
    if (address && typeof address === 'object' && !cluster.isWorker) console.log(address.port);
  });
  const stop = (): void => {
    server.close(() => (cluster.isWorker ? cluster.worker?.disconnect() : process.exit(0)));
    for (const socket of open) socket.destroy(); // the load is over: nothing in flight matters
  };
  process.on('message', (message) => message === SHUTDOWN_MESSAGE && stop());
  process.once('SIGTERM', stop);
}

const style = process.env.BENCH_SERVER as Style | undefined;
const backlog = Number(process.env.BENCH_BACKLOG ?? 511);
const workers = Number(process.env.BENCH_WORKERS ?? 0);
if (style !== undefined && !(style in styles)) throw new Error(`BENCH_SERVER must be one of ${Object.keys(styles)}`);

if (style !== undefined && (cluster.isWorker || workers === 0)) serve(style, backlog);
else if (style !== undefined) {
  const running = await startCluster({ workerFile: fileURLToPath(import.meta.url), workers });
  console.log(running.port);
  process.once('SIGTERM', () => void running.shutdown(2_000).then(() => process.exit(0)));
}
