import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ScriptedPeer, bytewise, useNetKit, whole, withDeadline } from '../../runner/kit/index.ts';
import { authenticate, type AuthSession } from './auth-client.ts';
import { createAuthServer } from './auth-server.ts';
import { encodeFrame } from './frame.ts';
import { AuthError } from './protocol.ts';

const kit = useNetKit();

// The scripted server computes its MACs itself, with node:crypto, from the
// README's Wire format: these tests never depend on your task 1 and 3 code.
const KEY = randomBytes(32);
const CLIENT = Buffer.from('l05 client proof');
const SERVER = Buffer.from('l05 server proof');
const mac = (key: Buffer, label: Buffer, hello: Buffer, challenge: Buffer): Buffer =>
  createHmac('sha256', key).update(label).update(hello).update(challenge).digest();
const frame = (payload: Buffer): Buffer => encodeFrame(payload);

/** The frames the client wrote to `peer`; waits for `count` of them. */
async function clientFrames(peer: ScriptedPeer, count: number): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  let at = 0;
  while (frames.length < count) {
    const got = await peer.waitForBytes(at + 4, { message: `your client sent ${frames.length} frames, not ${count}` });
    const length = got.readUInt32BE(at);
    expect(length, 'a handshake frame of your client announces more than 128 bytes').toBeLessThan(129);
    const all = await peer.waitForBytes(at + 4 + length, { message: 'your client sent half a frame' });
    frames.push(all.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return frames;
}

/** clientFrames, but if authenticate() rejects first, fail with its error rather than wait. */
function framesOrError(peer: ScriptedPeer, count: number, outcome: Promise<Outcome>): Promise<Buffer[]> {
  const rejected = outcome.then((o) => (o.session ? new Promise<never>(() => {}) : Promise.reject(o.error)));
  return Promise.race([clientFrames(peer, count), rejected]);
}

type Outcome = { session: AuthSession; error?: undefined } | { session?: undefined; error: unknown };

interface ServerScript {
  /** The CHALLENGE payload to send (default: 02 and a fresh nonce). */
  challenge?: (hello: Buffer) => Buffer;
  /** The reply to PROOF (default: a correct WELCOME). */
  welcome?: (hello: Buffer, challenge: Buffer, proof: Buffer) => Buffer;
  challengeChunks?: (bytes: Buffer) => Buffer[];
  welcomeChunks?: (bytes: Buffer) => Buffer[];
  /** Bytes sent right after WELCOME, in the same chunk. */
  after?: Buffer;
}

/** Runs your authenticate() against a scripted server. */
async function run(script: ServerScript = {}) {
  const peer = kit.track(new ScriptedPeer());
  const outcome: Promise<Outcome> = authenticate(peer, { keyId: 'k1', key: KEY, deadlineMs: 2_000 }).then(
    (session) => ({ session }),
    (error: unknown) => ({ error }),
  );
  const [hello] = await framesOrError(peer, 1, outcome);
  const challenge = script.challenge?.(hello!) ?? Buffer.concat([Buffer.of(0x02), randomBytes(32)]);
  await peer.deliver((script.challengeChunks ?? whole)(frame(challenge)));
  const result = { peer, hello: hello!, challenge, outcome, proof: undefined as Buffer | undefined };
  if (challenge[0] !== 0x02 || challenge.length !== 33) return result;
  [, result.proof] = await framesOrError(peer, 2, outcome);
  const welcome =
    script.welcome?.(hello!, challenge, result.proof!) ??
    Buffer.concat([Buffer.of(0x04), mac(KEY, SERVER, hello!, challenge)]);
  const bytes = Buffer.concat([frame(welcome), script.after ?? Buffer.alloc(0)]);
  await peer.deliver((script.welcomeChunks ?? whole)(bytes));
  return result;
}

async function expectAuthError(outcome: Promise<Outcome>, kind: AuthError['kind'], why: string): Promise<AuthError> {
  const result = await withDeadline(outcome, { message: `your authenticate() neither resolved nor rejected (${why})` });
  expect(result.session, `${why}: authenticate() must reject, not resolve`).toBeUndefined();
  expect(result.error, `${why}: reject with an AuthError`).toBeInstanceOf(AuthError);
  const error = result.error as AuthError;
  expect(error.kind, `${why}: the AuthError's kind (message: "${error.message}")`).toBe(kind);
  return error;
}

async function expectSession(outcome: Promise<Outcome>): Promise<AuthSession> {
  const result = await withDeadline(outcome, { message: 'your authenticate() never resolved after a correct WELCOME' });
  if (result.session === undefined) throw new Error(`a correct WELCOME, yet authenticate() rejected: ${result.error}`);
  return result.session;
}

const flip = (bytes: Buffer, bit: number): Buffer => {
  const copy = Buffer.from(bytes);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
};

describe('Task 5: the client, which checks the server too', () => {
  it('sends HELLO (01, a 32-byte nonce, the key id) and the right PROOF, and trusts a server that proves itself', async () => {
    const r = await run();
    expect(r.hello[0], 'HELLO starts with 0x01').toBe(0x01);
    expect(r.hello.length, 'HELLO for key id "k1" is 1 + 32 + 2 = 35 bytes').toBe(35);
    expect(r.hello.subarray(33).toString(), 'the key id follows the nonce').toBe('k1');
    expect(r.proof![0], 'PROOF starts with 0x03').toBe(0x03);
    expect(
      r.proof!.subarray(1).equals(mac(KEY, CLIENT, r.hello, r.challenge)),
      'PROOF carries HMAC(key, "l05 client proof" | HELLO | CHALLENGE)',
    ).toBe(true);
    expect((await expectSession(r.outcome)).keyId).toBe('k1');
  });

  it('keeps the bytes that come right after WELCOME for the session', async () => {
    const r = await run({ after: frame(Buffer.from('first')) });
    const session = await expectSession(r.outcome);
    const next = await withDeadline(session.reader.next(1024), { message: 'the frame after WELCOME was lost' });
    expect(next?.toString(), 'the first session frame').toBe('first');
  });

  it('sends a new nonce every time', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const peer = kit.track(new ScriptedPeer());
      const outcome = authenticate(peer, { keyId: 'k1', key: KEY }).then(
        (session): Outcome => ({ session }),
        (error: unknown): Outcome => ({ error }),
      );
      const [hello] = await framesOrError(peer, 1, outcome);
      seen.add(hello!.subarray(1, 33).toString('hex'));
      peer.destroy();
      await outcome;
    }
    expect(seen.size, '50 handshakes, 50 different client nonces (crypto.randomBytes)').toBe(50);
  });

  it('detects a fake server that does not hold the key', async () => {
    const other = randomBytes(32);
    const r = await run({ welcome: (h, c) => Buffer.concat([Buffer.of(0x04), mac(other, SERVER, h, c)]) });
    await expectAuthError(r.outcome, 'fake-server', 'a WELCOME made with another key');
    expect(r.peer.destroyed, 'after detecting a fake server, destroy the connection').toBe(true);
  });

  it('detects a fake server that reflects the client’s own proof back as WELCOME', async () => {
    const r = await run({ welcome: (_h, _c, proof) => Buffer.concat([Buffer.of(0x04), proof.subarray(1)]) });
    await expectAuthError(r.outcome, 'fake-server', 'your own PROOF sent back as WELCOME');
  });

  // 264 scripted handshakes: bounded, but slow on a loaded machine.
  it('detects every one-bit change of WELCOME', { timeout: 30_000 }, async () => {
    for (let bit = 0; bit < 33 * 8; bit++) {
      const r = await run({ welcome: (h, c) => flip(Buffer.concat([Buffer.of(0x04), mac(KEY, SERVER, h, c)]), bit) });
      // Bits 0-7 are the type byte: that is no WELCOME at all.
      await expectAuthError(r.outcome, bit < 8 ? 'malformed' : 'fake-server', `WELCOME with bit ${bit} flipped`);
    }
  });

  it('reports a refusal at CHALLENGE with the server’s code', async () => {
    const r = await run({ challenge: () => Buffer.concat([Buffer.of(0xff, 0x02), Buffer.from('no key with id k1')]) });
    const error = await expectAuthError(r.outcome, 'refused', 'REFUSED UNKNOWN_KEY instead of CHALLENGE');
    expect(error.code, 'the AuthError carries the REFUSED code').toBe(2);
  });

  it('reports a refusal of its PROOF with the server’s code', async () => {
    const r = await run({ welcome: () => Buffer.concat([Buffer.of(0xff, 0x03), Buffer.from('the proof is wrong')]) });
    const error = await expectAuthError(r.outcome, 'refused', 'REFUSED BAD_PROOF instead of WELCOME');
    expect(error.code, 'the AuthError carries the REFUSED code').toBe(3);
  });

  for (const [what, challenge] of [
    ['a 32-byte CHALLENGE', () => Buffer.concat([Buffer.of(0x02), randomBytes(31)])],
    ['a 34-byte CHALLENGE', () => Buffer.concat([Buffer.of(0x02), randomBytes(33)])],
    ['a WELCOME where CHALLENGE belongs', () => Buffer.concat([Buffer.of(0x04), randomBytes(32)])],
  ] as const) {
    it(`rejects ${what} as malformed, without a throw`, async () => {
      const r = await run({ challenge });
      await expectAuthError(r.outcome, 'malformed', what);
    });
  }

  it('rejects a CHALLENGE frame that announces 1 MiB, as soon as the length arrives', async () => {
    const peer = kit.track(new ScriptedPeer());
    const outcome = authenticate(peer, { keyId: 'k1', key: KEY }).then(
      (session): Outcome => ({ session }),
      (error: unknown): Outcome => ({ error }),
    );
    await framesOrError(peer, 1, outcome);
    await peer.deliver([Buffer.from('00100001', 'hex')]); // 1 MiB + 1 announced, nothing sent
    await expectAuthError(outcome, 'malformed', 'a frame header announcing 1 MiB');
  });

  it('gives up on a silent server at its deadline', async () => {
    const peer = kit.track(new ScriptedPeer());
    const outcome = authenticate(peer, { keyId: 'k1', key: KEY, deadlineMs: 150 }).then(
      (session): Outcome => ({ session }),
      (error: unknown): Outcome => ({ error }),
    );
    await expectAuthError(outcome, 'timeout', 'a server that never answers, deadlineMs 150');
    expect(peer.destroyed, 'after the deadline, destroy the connection').toBe(true);
  });

  it('refuses a key id that breaks the rules with a RangeError, and sends nothing', async () => {
    for (const keyId of ['', 'k/1', 'é', 'k'.repeat(65)]) {
      const peer = kit.track(new ScriptedPeer());
      const error = await authenticate(peer, { keyId, key: KEY }).catch((e: unknown) => e);
      expect(error, `authenticate with key id ${JSON.stringify(keyId)}`).toBeInstanceOf(RangeError);
      expect(peer.received.length, `bytes sent for key id ${JSON.stringify(keyId)}`).toBe(0);
    }
  });

  it('reports a server that closes before CHALLENGE', async () => {
    const peer = kit.track(new ScriptedPeer());
    const outcome = authenticate(peer, { keyId: 'k1', key: KEY }).then(
      (session): Outcome => ({ session }),
      (error: unknown): Outcome => ({ error }),
    );
    await framesOrError(peer, 1, outcome);
    await peer.deliver([], { end: true });
    await expectAuthError(outcome, 'closed', 'the server ended the connection');
  });

  describe('every chunking of every server message', () => {
    it('accepts CHALLENGE and WELCOME split at every offset', async () => {
      for (let at = 1; at < 37; at++) {
        const split = (b: Buffer): Buffer[] => [b.subarray(0, at), b.subarray(at)];
        const a = await run({ challengeChunks: split });
        await expectSession(a.outcome);
        const b = await run({ welcomeChunks: split });
        await expectSession(b.outcome);
      }
    });

    it('accepts CHALLENGE and WELCOME one byte at a time', async () => {
      const r = await run({ challengeChunks: bytewise, welcomeChunks: bytewise });
      await expectSession(r.outcome);
    });
  });

  it('authenticates to your server over TCP, both ways, and the session echoes', async () => {
    const port = await kit.listen(createAuthServer({ keys: new Map([['k1', KEY]]) }));
    const socket = await kit.connect(port);
    const session = await authenticate(socket, { keyId: 'k1', key: KEY });
    socket.write(frame(Buffer.from('ping')));
    const echo = await withDeadline(session.reader.next(1024), { message: 'your server did not echo after WELCOME' });
    expect(echo?.toString()).toBe('ping');
  });
});
