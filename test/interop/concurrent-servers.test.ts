// Lesson 06's shout protocol: a Python 3 client written from the README's
// Wire format alone talks to the reference servers.
import type { Server } from 'node:net';
import { expect, it } from 'vitest';
import { useNetKit } from '../../runner/kit/index.ts';
import { createShoutServer } from '../../solutions/06-concurrent-servers/event-loop-server.ts';
import { createDrainingServer } from '../../solutions/06-concurrent-servers/graceful-shutdown.ts';
import { shout } from '../../lessons/06-concurrent-servers/shout-protocol.ts';
import { createGuardedServer } from '../../solutions/06-concurrent-servers/guarded-server.ts';
import { createHashServer } from '../../solutions/06-concurrent-servers/hash-server.ts';
import { describeWithPython, runPeer } from './python.ts';

const kit = useNetKit();
const ITERATIONS = 1_000;

async function check(server: Server, name: string, iterations = ITERATIONS): Promise<void> {
  const port = await kit.listen(server);
  const result = await runPeer('shout_client.py', [String(port), String(iterations), name]);
  expect(result.stderr, `the Python client's ${name} check failed`).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toBe(`${name} ok\n`);
}

describeWithPython('lesson 06: a Python shout client against the reference servers', () => {
  it('shouts lines back, pipelined, and ends after the last whole line', () => check(createShoutServer(), 'shout'));
  it('answers HASH with the PBKDF2 digest Python computes', () =>
    check(createHashServer({ hashIterations: ITERATIONS }), 'hash'));
  // 50,000 iterations: the digest takes long enough that the client's FIN arrives first.
  it('answers a HASH sent with the client’s FIN, then ends its side', () =>
    check(createHashServer({ hashIterations: 50_000 }), 'hash-fin', 50_000));
  it('answers lines sent with the client’s FIN by a slow handler, then ends its side', () =>
    check(
      createDrainingServer(async (line) => {
        await new Promise((resolve) => setTimeout(resolve, 20)); // slower than the FIN
        return shout(line);
      }).server,
      'shout-fin',
    ));
  it('answers the line before a 1,025-byte line, then ERR too long, then FIN', () =>
    check(createShoutServer(), 'too-long'));
  it('refuses the connection over maxConnections with ERR full, then FIN', () =>
    check(createGuardedServer({ maxConnections: 1 }), 'full'));
  it('tells a silent client ERR timeout, then FIN', () => check(createGuardedServer({ idleMs: 200 }), 'timeout'));
});
