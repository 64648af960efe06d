// Lesson 06, task 2: the listen backlog.
//
// Say a hundred clients connect in the same millisecond. The kernel
// completes each handshake by itself and puts the connection in the
// listening socket's accept queue, where it waits for the program to
// accept it. The backlog you pass to listen() is the length of that
// queue. When it is full, Linux drops the next SYN, and that client tries
// again one second later: a burst against the tutorials' backlog of 5 is
// a burst of one-second stalls.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';

/** Where Linux keeps the largest backlog it grants (net.core.somaxconn). */
export const SOMAXCONN_FILE = '/proc/sys/net/core/somaxconn';

/**
 * Starts `server` on 127.0.0.1, on a port the system picks, with an accept
 * queue of `backlog`, and resolves with the port once it listens. Rejects
 * with a RangeError unless `backlog` is a whole number from 1 to 65,535,
 * and with the server's error if it cannot listen.
 */
export function listenWithBacklog(server: Server, backlog: number): Promise<number> {
  if (!Number.isInteger(backlog) || backlog < 1 || backlog > 65_535)
    return Promise.reject(new RangeError(`backlog must be a whole number from 1 to 65,535, got ${backlog}`));
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    // The object form says which number is which; listen(0, host, 5) does
    // the same. Node's default, when you give none, is 511.
    server.listen({ port: 0, host: '127.0.0.1', backlog }, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('not listening on a TCP port'));
      else resolve(address.port);
    });
  });
}

/**
 * The accept queue the kernel really gives a listen(backlog): Linux caps it
 * at net.core.somaxconn (read from SOMAXCONN_FILE). Where that file cannot
 * be read (not Linux), returns `backlog` unchanged.
 */
export function grantedBacklog(backlog: number): number {
  let somaxconn: number;
  try {
    somaxconn = Number.parseInt(readFileSync(SOMAXCONN_FILE, 'utf8'), 10);
  } catch {
    return backlog;
  }
  return Number.isInteger(somaxconn) && somaxconn > 0 ? Math.min(backlog, somaxconn) : backlog;
}
