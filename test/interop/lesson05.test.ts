// Lesson 05's handshake between the reference code and Python 3 peers
// (hmac, secrets: standard library only) written from the README's Wire
// format section, in both directions.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useNetKit, withDeadline } from '../../runner/kit/index.ts';
import { authenticate } from '../../solutions/05-hmac-auth/auth-client.ts';
import { createAuthServer } from '../../solutions/05-hmac-auth/auth-server.ts';
import { encodeFrame } from '../../lessons/05-hmac-auth/frame.ts';
import { FrameReader } from '../../lessons/05-hmac-auth/frame-reader.ts';
import { AuthError, MAX_HANDSHAKE_PAYLOAD, RefusalCode, refusedMessage } from '../../lessons/05-hmac-auth/protocol.ts';
import { describeWithPython, runPeer, startPeer } from './python.ts';

const kit = useNetKit();
const KEY = randomBytes(32);

// Not a Python test: the given protocol.ts must write what the Wire format
// says every peer reads, here the REFUSED frame that a client reads with
// the handshake's limit.
describe('lesson 05: the given refusedMessage', () => {
  it('keeps REFUSED within the handshake limit of 128 bytes, and cuts a long reason between characters', () => {
    const long = refusedMessage(RefusalCode.MALFORMED, 'é'.repeat(200)); // 400 bytes of UTF-8
    expect(long.length, 'a REFUSED payload').toBeLessThanOrEqual(MAX_HANDSHAKE_PAYLOAD);
    const reason = long.subarray(2);
    expect(new TextDecoder('utf-8', { fatal: true }).decode(reason), 'the reason is whole UTF-8').toBe('é'.repeat(63));
    expect(refusedMessage(RefusalCode.BAD_PROOF, 'the proof is wrong').subarray(2).toString()).toBe(
      'the proof is wrong',
    );
  });
});

describeWithPython('lesson 05: HMAC challenge-response with Python peers', () => {
  describe('a Python client and the reference server', () => {
    it('authenticates, checks the server, and gets its frame echoed', async () => {
      const port = await kit.listen(createAuthServer({ keys: new Map([['k1', KEY]]) }));
      const result = await runPeer('l05_client.py', [String(port), 'k1', KEY.toString('hex'), 'hello from python']);
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe('echo hello from python');
      expect(result.code).toBe(0);
    });

    it('gets echoes of an empty frame and of a frame sent in the same write as PROOF', async () => {
      const port = await kit.listen(createAuthServer({ keys: new Map([['k1', KEY]]) }));
      const result = await runPeer('l05_client.py', [
        String(port),
        'k1',
        KEY.toString('hex'),
        'early',
        '',
        'late',
        '--with-proof',
      ]);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('echo early\necho \necho late\n');
    });

    it.each([
      ['hello', 'after hello: CHALLENGE, then the end'],
      ['proof', 'after proof: WELCOME, then the end'],
    ])('gets an answer to its last frame, then the end, when it half-closes right after %s', async (step, said) => {
      const port = await kit.listen(createAuthServer({ keys: new Map([['k1', KEY]]) }));
      const result = await runPeer('l05_client.py', [String(port), 'k1', KEY.toString('hex'), '--fin-after', step]);
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe(said);
    });

    it('is refused with BAD_PROOF (03) for a wrong key, and UNKNOWN_KEY (02) for an unknown id', async () => {
      const port = await kit.listen(createAuthServer({ keys: new Map([['k1', KEY]]) }));
      const wrong = await runPeer('l05_client.py', [String(port), 'k1', randomBytes(32).toString('hex'), 'x']);
      expect(wrong.stdout.trim()).toBe('refused 3 the proof is wrong');
      const unknown = await runPeer('l05_client.py', [String(port), 'k9', KEY.toString('hex'), 'x']);
      expect(unknown.stdout.trim()).toMatch(/^refused 2 /);
    });

    it('detects a fake server, one that welcomes any proof without holding the key', async () => {
      const fake = createServer((socket) => {
        socket.on('error', () => socket.destroy());
        const reader = new FrameReader(socket);
        void (async () => {
          await reader.next(128); // HELLO
          socket.write(encodeFrame(Buffer.concat([Buffer.of(0x02), randomBytes(32)])));
          await reader.next(128); // PROOF, not checked
          socket.write(encodeFrame(Buffer.concat([Buffer.of(0x04), randomBytes(32)])));
        })().catch(() => socket.destroy());
      });
      const port = await kit.listen(fake);
      const result = await runPeer('l05_client.py', [String(port), 'k1', KEY.toString('hex'), 'x']);
      expect(result.stdout.trim()).toBe('fake-server');
      expect(result.code).toBe(3);
    });
  });

  describe('the reference client and a Python server', () => {
    it('authenticates both ways, and the session echoes', async () => {
      const peer = await startPeer('l05_server.py', ['k1', KEY.toString('hex')]);
      const socket = await kit.connect(Number(peer.firstLine));
      const session = await authenticate(socket, { keyId: 'k1', key: KEY });
      socket.write(encodeFrame('ping from node'));
      const echo = await withDeadline(session.reader.next(65_536), { message: 'the Python server did not echo' });
      expect(echo?.toString()).toBe('ping from node');
      socket.end();
      const result = await peer.done;
      expect(result.stdout).toContain('authenticated k1');
      expect(result.code).toBe(0);
    });

    it('reports a refusal with the Python server’s code', async () => {
      const peer = await startPeer('l05_server.py', ['k1', KEY.toString('hex')]);
      const socket = await kit.connect(Number(peer.firstLine));
      const error = await authenticate(socket, { keyId: 'k1', key: randomBytes(32) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).kind).toBe('refused');
      expect((error as AuthError).code).toBe(3);
      expect((await peer.done).stdout).toContain('refused 3');
    });
  });
});
