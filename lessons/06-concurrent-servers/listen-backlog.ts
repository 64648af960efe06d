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
  // TODO: check backlog (reject with a RangeError), then
  // server.listen({ port: 0, host: '127.0.0.1', backlog }, callback) and
  // resolve with server.address().port; reject on the server's 'error' (task 2).
  throw new Error('TODO: write listenWithBacklog (task 2 in lessons/06-concurrent-servers/README.md)');
}

/**
 * The accept queue the kernel really gives a listen(backlog): Linux caps it
 * at net.core.somaxconn (read from SOMAXCONN_FILE). Where that file cannot
 * be read (not Linux), returns `backlog` unchanged.
 */
export function grantedBacklog(backlog: number): number {
  // TODO: read SOMAXCONN_FILE (a number and a newline), and return the
  // smaller of it and backlog; if the file cannot be read, return backlog.
  throw new Error('TODO: write grantedBacklog (task 2 in lessons/06-concurrent-servers/README.md)');
}
