// Lesson 07, task 8: the client says what the server decided.
//
// Say the client kept its own count of three attempts, as the tutorial's
// does: restart it and the count is back to three, and it tells the user
// nothing true. The server is the one that counts. So the client sends one
// login frame, reads one reply frame, and shows what the reply says: the
// attempts left before a wait, or how long to wait.
import type { Duplex } from 'node:stream';
import { FrameDecoder } from './frame.ts';
import { MAX_REPLY_BYTES, type Reply, encodeMessage } from './protocol.ts';

/** Sends a login request on `socket` and resolves with the server's reply. Rejects if none comes within `timeoutMs`. */
export function login(socket: Duplex, user: string, password: string, timeoutMs = 15_000): Promise<Reply> {
  // TODO: write encodeMessage({ op: 'login', user, password }), then readReply.
  throw new Error('TODO: write login (task 8 in lessons/07-login/README.md)');
}

/** Reads one reply frame from `socket`. Rejects if the connection ends first, or after `timeoutMs`. */
export function readReply(socket: Duplex, timeoutMs = 15_000): Promise<Reply> {
  // TODO: feed 'data' chunks to a FrameDecoder(MAX_REPLY_BYTES) until one
  // frame is whole; JSON.parse it. Remove your listeners when done.
  throw new Error('TODO: write readReply (task 8 in lessons/07-login/README.md)');
}

/** One sentence for the user about a login reply: success, attempts left, or how long to wait. */
export function describeLogin(reply: Reply): string {
  // TODO: the sentences of task 8, with the wait rounded up to whole seconds.
  throw new Error('TODO: write describeLogin (task 8 in lessons/07-login/README.md)');
}
