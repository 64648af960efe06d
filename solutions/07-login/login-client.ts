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
  socket.write(encodeMessage({ op: 'login', user, password }));
  return readReply(socket, timeoutMs);
}

/** Reads one reply frame from `socket`. Rejects if the connection ends first, or after `timeoutMs`. */
export function readReply(socket: Duplex, timeoutMs = 15_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder(MAX_REPLY_BYTES);
    const settle = (result: Reply | Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        return settle(err as Error);
      }
      if (frames.length === 0) return;
      socket.pause();
      try {
        settle(JSON.parse(frames[0]!.toString('utf8')) as Reply);
      } catch {
        settle(new Error('the server sent a reply that is not JSON'));
      }
    };
    const onEnd = (): void => settle(new Error('the server closed the connection before it replied'));
    const onError = (err: Error): void => settle(err);
    const timer = setTimeout(() => settle(new Error(`no reply from the server within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.resume();
  });
}

/** One sentence for the user about a login reply: success, attempts left, or how long to wait. */
export function describeLogin(reply: Reply): string {
  if (reply.ok) return 'Logged in.';
  const wait = (ms: number): string => `Wait ${Math.ceil(ms / 1000)} s before the next attempt.`;
  switch (reply.error) {
    case 'login-failed':
      if (reply.attemptsLeft > 0) {
        return `Wrong user name or password. ${reply.attemptsLeft} ${reply.attemptsLeft === 1 ? 'attempt' : 'attempts'} left.`;
      }
      return `Wrong user name or password. ${wait(reply.retryAfterMs)}`;
    case 'try-later':
      return `Too many failed attempts. ${wait(reply.retryAfterMs)}`;
    default:
      return `The server refused the request (${reply.error}).`;
  }
}
