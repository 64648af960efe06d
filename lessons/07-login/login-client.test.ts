import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptedPeer, bytewise, expectBytes, useNetKit, useTempDirs, withDeadline } from '../../runner/kit/index.ts';
import { encodeFrame } from './frame.ts';
import { describeLogin, login, readReply } from './login-client.ts';
import { createLoginServer } from './login-server.ts';
import { hashPassword } from './password.ts';
import type { Reply } from './protocol.ts';
import { UserStore } from './user-store.ts';

const kit = useNetKit();
const tempDir = useTempDirs('wb07-client-');
const REQUEST = encodeFrame('{"op":"login","user":"alice","password":"correct horse"}');

function replying<T>(promise: Promise<T>, what = 'login'): Promise<T> {
  return withDeadline(promise, { ms: 5_000, message: `your ${what} never resolved or rejected` });
}

/** Rejects with the error's message, or says it resolved; a TODO error is passed on as it is. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await replying(promise);
    return 'it resolved';
  } catch (err) {
    if (/^TODO/.test((err as Error).message)) throw err;
    return 'rejected';
  }
}

describe('Task 8: a client that shows what the server decided', () => {
  it('sends the login frame of the Wire format, byte for byte', async () => {
    const peer = kit.track(new ScriptedPeer());
    const replied = login(peer, 'alice', 'correct horse');
    replied.catch(() => {});
    expectBytes(await peer.waitForBytes(REQUEST.length), REQUEST, 'the login request');
    await peer.deliver([encodeFrame('{"ok":true,"token":"t","expiresInMs":1000}')]);
    expect(await replying(replied), 'the reply').toEqual({ ok: true, token: 't', expiresInMs: 1000 });
  });

  it('reads a reply that arrives one byte at a time', async () => {
    const peer = kit.track(new ScriptedPeer());
    const replied = login(peer, 'alice', 'correct horse');
    replied.catch(() => {});
    const frame = encodeFrame('{"ok":false,"error":"try-later","retryAfterMs":8000}');
    await peer.deliver(bytewise(frame));
    expect(await replying(replied), 'the reply, byte by byte').toEqual({
      ok: false,
      error: 'try-later',
      retryAfterMs: 8000,
    });
  });

  it('rejects when the server closes before a whole reply, or sends a frame over 4096 bytes', async () => {
    const closing = kit.track(new ScriptedPeer());
    const cut = readReply(closing);
    await closing.deliver([Buffer.from([0, 0, 0, 20, 0x7b])], { end: true });
    expect(await refusal(cut), 'a reply cut short by the end of the stream').toBe('rejected');
    const huge = kit.track(new ScriptedPeer());
    const big = readReply(huge);
    await huge.deliver([Buffer.from([0, 0x10, 0, 0])]);
    expect(await refusal(big), 'a reply that says it is 1 MiB').toBe('rejected');
  });

  it('rejects after its timeout when no reply comes', async () => {
    const silent = kit.track(new ScriptedPeer());
    expect(await refusal(readReply(silent, 200)), 'no reply within 200 ms').toBe('rejected');
  });

  it('says how many attempts are left, and how long to wait', () => {
    const cases: Array<[Reply, string]> = [
      [{ ok: true, token: 't', expiresInMs: 3_600_000 }, 'Logged in.'],
      [
        { ok: false, error: 'login-failed', attemptsLeft: 2, retryAfterMs: 0 },
        'Wrong user name or password. 2 attempts left.',
      ],
      [
        { ok: false, error: 'login-failed', attemptsLeft: 1, retryAfterMs: 0 },
        'Wrong user name or password. 1 attempt left.',
      ],
      [
        { ok: false, error: 'login-failed', attemptsLeft: 0, retryAfterMs: 1000 },
        'Wrong user name or password. Wait 1 s before the next attempt.',
      ],
      [
        { ok: false, error: 'try-later', retryAfterMs: 7001 },
        'Too many failed attempts. Wait 8 s before the next attempt.',
      ],
      [{ ok: false, error: 'bad-request' }, 'The server refused the request (bad-request).'],
    ];
    for (const [reply, sentence] of cases) expect(describeLogin(reply), JSON.stringify(reply)).toBe(sentence);
  });

  it('shows the limits the server keeps, even across new connections', async () => {
    const store = await UserStore.open(join(await tempDir(), 'users.json'));
    await store.add('alice', { hash: await hashPassword('correct horse', { ln: 10, r: 8, p: 1 }) });
    const port = await kit.listen(createLoginServer({ store, params: { ln: 10, r: 8, p: 1 } }));
    const said: string[] = [];
    for (let i = 0; i < 4; i++) {
      const socket = await kit.connect(port); // a new connection each time, like a restarted client
      said.push(describeLogin(await replying(login(socket, 'alice', 'wrong horse'))));
      socket.destroy();
    }
    expect(said, 'what the client shows for four wrong passwords').toEqual([
      'Wrong user name or password. 2 attempts left.',
      'Wrong user name or password. 1 attempt left.',
      'Wrong user name or password. Wait 1 s before the next attempt.',
      'Too many failed attempts. Wait 1 s before the next attempt.',
    ]);
  });
});
