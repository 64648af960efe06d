// Lesson 07 interop: Python 3 peers written from the README's Wire format
// alone, against the reference solutions: a Python client registers and
// logs in to the TypeScript server, and the TypeScript client logs in to a
// Python server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { useNetKit } from '../../runner/kit/index.ts';
import { describeLogin, login, readReply } from '../../solutions/07-login/login-client.ts';
import { createLoginServer } from '../../solutions/07-login/login-server.ts';
import { encodeMessage } from '../../lessons/07-login/protocol.ts';
import { UserStore } from '../../solutions/07-login/user-store.ts';
import { describeWithPython, runPeer, startPeer } from './python.ts';

const kit = useNetKit();
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describeWithPython('lesson 07 login protocol, with Python 3 peers', () => {
  it('a Python client registers, logs in, checks its token and logs out against the TypeScript server', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wb07-interop-'));
    dirs.push(dir);
    const store = await UserStore.open(join(dir, 'users.json'));
    const port = await kit.listen(createLoginServer({ store, params: { ln: 10, r: 8, p: 1 } }));
    const result = await runPeer('l07_client.py', [String(port)]);
    expect(result.stderr, 'the Python client wrote to stderr').toBe('');
    expect(result.code, 'the Python client exit code').toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual(['{"ok":true}', '{"ok":false,"error":"taken"}', '{"ok":true}']);
    expect(lines[3], 'the 4th registration from one address').toMatch(
      /^\{"ok":false,"error":"try-later","retryAfterMs":\d+\}$/,
    );
    expect(lines.slice(4, 6)).toEqual([
      '{"ok":false,"error":"login-failed","attemptsLeft":2,"retryAfterMs":0}',
      '{"ok":false,"error":"login-failed","attemptsLeft":1,"retryAfterMs":0}',
    ]);
    expect(lines[6]).toMatch(/^\{"ok":true,"token":"[A-Za-z0-9_-]{43}","expiresInMs":3600000\}$/);
    expect(lines.slice(7)).toEqual([
      '{"ok":true,"user":"pyuser"}',
      '{"ok":true}',
      '{"ok":false,"error":"bad-token"}',
      '{"ok":false,"error":"too-big"}',
      'eof',
      // A request and a frame over the limit in one write: a reply to each, in order.
      '{"ok":false,"error":"bad-token"}',
      '{"ok":false,"error":"too-big"}',
      'eof',
      // A password holding a lone surrogate is no text.
      '{"ok":false,"error":"bad-request"}',
      'eof',
      // A whole request, half of one, then FIN: the whole one is answered.
      '{"ok":false,"error":"bad-token"}',
      'eof',
    ]);
    expect(store.get('pyuser')?.hash, 'the stored record').toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    expect(store.get('pyuser3'), 'the registration that was told to wait').toBeUndefined();
  });

  it('the TypeScript client registers and logs in to a Python server', async () => {
    const peer = await startPeer('l07_server.py', []);
    const port = Number(peer.firstLine);
    const socket = await kit.connect(port);
    socket.write(encodeMessage({ op: 'register', user: 'tsuser', password: 'correct horse' }));
    expect(await readReply(socket, 10_000)).toEqual({ ok: true });
    for (const user of ['tsuser', 'tsuser2']) {
      socket.write(encodeMessage({ op: 'register', user, password: 'correct horse' }));
      await readReply(socket, 10_000);
    }
    socket.write(encodeMessage({ op: 'register', user: 'tsuser3', password: 'correct horse' }));
    const wait = (await readReply(socket, 10_000)) as { error?: string; retryAfterMs?: number };
    expect(wait.error, 'the 4th registration from one address').toBe('try-later');
    expect(wait.retryAfterMs, 'its wait, in ms').toBeGreaterThan(0);
    expect(wait.retryAfterMs, 'its wait, in ms').toBeLessThanOrEqual(1000);
    const wrong = await login(socket, 'tsuser', 'wrong horse', 10_000);
    expect(describeLogin(wrong)).toBe('Wrong user name or password. 2 attempts left.');
    const unknown = await login(socket, 'nobody', 'wrong horse', 10_000);
    expect(JSON.stringify(unknown)).toBe('{"ok":false,"error":"login-failed","attemptsLeft":2,"retryAfterMs":0}');
    const good = await login(socket, 'tsuser', 'correct horse', 10_000);
    expect(describeLogin(good)).toBe('Logged in.');
    socket.write(encodeMessage({ op: 'whoami', token: (good as { token: string }).token }));
    expect(await readReply(socket, 10_000)).toEqual({ ok: true, user: 'tsuser' });
    peer.stop();
  });
});
