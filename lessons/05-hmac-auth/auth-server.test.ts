import { createHmac, randomBytes } from 'node:crypto';
import type { Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  ScriptedPeer,
  bytewise,
  everySplit,
  readExactly,
  readUntilEnd,
  useNetKit,
  whole,
  withDeadline,
} from '../../runner/kit/index.ts';
import { createAuthServer, newNonce, serveAuthConnection, type AuthServerOptions } from './auth-server.ts';

const kit = useNetKit();

// The test computes every MAC itself, with node:crypto, from the README's
// Wire format: these tests never depend on your task 1 and task 3 code.
const KEY = randomBytes(32);
const KEYS = new Map([['k1', KEY]]);
const CLIENT = Buffer.from('l05 client proof');
const SERVER = Buffer.from('l05 server proof');
const Code = { MALFORMED: 1, UNKNOWN_KEY: 2, BAD_PROOF: 3, TIMEOUT: 4 } as const;
const codeName = (code: number | undefined): string =>
  Object.entries(Code).find(([, c]) => c === code)?.[0] ?? `0x${code?.toString(16)}`;

const mac = (key: Buffer, label: Buffer, hello: Buffer, challenge: Buffer): Buffer =>
  createHmac('sha256', key).update(label).update(hello).update(challenge).digest();
const frame = (payload: Buffer): Buffer => {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
};
const helloOf = (keyId = 'k1', nonce = randomBytes(32)): Buffer =>
  Buffer.concat([Buffer.of(0x01), nonce, Buffer.from(keyId, 'latin1')]);
const proofOf = (macBytes: Buffer): Buffer => Buffer.concat([Buffer.of(0x03), macBytes]);

/** Reads one frame (u32be length | payload) sent by the server. */
async function readFrame(socket: Socket, what: string): Promise<Buffer> {
  const message = `your server did not send its ${what} frame`;
  const header = await readExactly(socket, 4, { message });
  const length = header.readUInt32BE(0);
  expect(length, `the ${what} frame announces ${length} bytes; no handshake message is longer than 128`).toBeLessThan(
    129,
  );
  return readExactly(socket, length, { message });
}

async function start(
  options: Partial<AuthServerOptions> = {},
): Promise<{ port: number; server: Server; sockets: Socket[] }> {
  const server = createAuthServer({ keys: KEYS, ...options });
  const sockets: Socket[] = [];
  server.on('connection', (s: Socket) => sockets.push(s));
  return { port: await kit.listen(server), server, sockets };
}

/** A client that sends HELLO and reads CHALLENGE. */
async function hello(port: number, keyId = 'k1'): Promise<{ socket: Socket; hello: Buffer; challenge: Buffer }> {
  const socket = await kit.connect(port);
  const h = helloOf(keyId);
  socket.write(frame(h));
  const challenge = await readFrame(socket, 'CHALLENGE');
  expect(challenge[0], 'CHALLENGE starts with its type byte 0x02').toBe(0x02);
  expect(challenge.length, 'CHALLENGE is 33 bytes: 02 and a 32-byte nonce').toBe(33);
  return { socket, hello: h, challenge };
}

/** A whole handshake with `key`; resolves with the server's reply to the PROOF. */
async function handshake(port: number, key = KEY, keyId = 'k1') {
  const started = await hello(port, keyId);
  const proof = proofOf(mac(key, CLIENT, started.hello, started.challenge));
  started.socket.write(frame(proof));
  return { ...started, proof, reply: await readFrame(started.socket, 'reply to PROOF (WELCOME or REFUSED)') };
}

/** Checks a REFUSED frame with `code`, then that the server ends the connection (FIN). */
async function expectRefused(socket: Socket, code: number, reply?: Buffer): Promise<void> {
  const payload = reply ?? (await readFrame(socket, `REFUSED ${codeName(code)}`));
  expect(payload[0], `expected REFUSED (ff), got a frame of type 0x${payload[0]?.toString(16)}`).toBe(0xff);
  expect(codeName(payload[1]), `REFUSED code (reason: "${payload.subarray(2)}")`).toBe(codeName(code));
  const rest = await readUntilEnd(socket, { message: 'after REFUSED your server must end the connection (FIN)' });
  expect(rest.length, 'nothing may follow REFUSED').toBe(0);
}

function expectWelcome(h: { hello: Buffer; challenge: Buffer; reply: Buffer }, key = KEY): void {
  const payload = h.reply;
  expect(payload[0], `expected WELCOME (04), got type 0x${payload[0]?.toString(16)} ${payload.subarray(2)}`).toBe(0x04);
  expect(
    payload.subarray(1).equals(mac(key, SERVER, h.hello, h.challenge)),
    'WELCOME carries HMAC(key, "l05 server proof" | HELLO | CHALLENGE)',
  ).toBe(true);
}

// ---- Scripted connections: exact chunks, no TCP, for chunkings and bit flips.

/** The frames the server wrote to `peer`, from byte `from` on; waits for `count` of them. */
async function serverFrames(peer: ScriptedPeer, count: number): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  let at = 0;
  while (frames.length < count) {
    const got = await peer.waitForBytes(at + 4, { message: 'your server sent no reply' });
    if (peer.clientEnded && got.length < at + 4) break;
    const length = got.readUInt32BE(at);
    const all = await peer.waitForBytes(at + 4 + length, { message: 'your server sent half a frame' });
    frames.push(all.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return frames;
}

interface Script {
  helloChunks?: (bytes: Buffer) => Buffer[];
  proofChunks?: (bytes: Buffer) => Buffer[];
  /** Changes HELLO on its way to the server (after the client has used it). */
  tamperHello?: (payload: Buffer) => Buffer;
  /** Changes CHALLENGE on its way to the client. */
  tamperChallenge?: (payload: Buffer) => Buffer;
  tamperProof?: (payload: Buffer) => Buffer;
}

/** One handshake through a ScriptedPeer; resolves with the server's reply to PROOF (or its first refusal). */
async function scripted(script: Script = {}): Promise<{ peer: ScriptedPeer; reply: Buffer; served: Promise<void> }> {
  const peer = kit.track(new ScriptedPeer());
  const served = serveAuthConnection(peer, { keys: KEYS });
  // If serveAuthConnection rejects, fail with its error rather than wait for a reply.
  const failed = served.then(() => new Promise<never>(() => {}));
  failed.catch(() => {}); // seen now; reported by orFailure below
  const orFailure = <T>(wait: Promise<T>): Promise<T> => Promise.race([wait, failed]);
  const h = helloOf();
  await peer.deliver((script.helloChunks ?? whole)(frame((script.tamperHello ?? ((p) => p))(h))));
  const [challenge] = await orFailure(serverFrames(peer, 1));
  if (challenge![0] === 0xff) return { peer, reply: challenge!, served };
  const seen = (script.tamperChallenge ?? ((p) => p))(challenge!);
  const proof = (script.tamperProof ?? ((p) => p))(proofOf(mac(KEY, CLIENT, h, seen)));
  await peer.deliver((script.proofChunks ?? whole)(frame(proof)));
  const [, reply] = await orFailure(serverFrames(peer, 2));
  if (reply![0] === 0x04)
    expect(reply!.subarray(1).equals(mac(KEY, SERVER, h, challenge!)), 'WELCOME proof').toBe(true);
  return { peer, reply: reply!, served };
}

/** Ends a scripted connection; serveAuthConnection must then settle, and never reject. */
async function close(run: { peer: ScriptedPeer; served: Promise<void> }): Promise<void> {
  run.peer.destroy();
  await withDeadline(run.served, { message: 'serveAuthConnection did not return after the connection closed' });
}

const flip = (bit: number) => (bytes: Buffer) => {
  const copy = Buffer.from(bytes);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
};

describe('Task 4: the server side of the handshake', () => {
  it('makes 10,000 different 32-byte nonces', () => {
    const nonces = Array.from({ length: 10_000 }, () => newNonce());
    const lengths = new Set(nonces.map((n) => n.length));
    expect([...lengths], 'newNonce() returns 32 bytes, every time').toEqual([32]);
    const seen = new Set(nonces.map((n) => n.toString('hex')));
    expect(seen.size, 'every nonce must be new: use crypto.randomBytes').toBe(10_000);
  });

  it('welcomes a client that holds the key, proves itself, then echoes frames', async () => {
    const { port } = await start();
    const h = await handshake(port);
    expectWelcome(h);
    h.socket.write(frame(Buffer.from('ping')));
    expect((await readFrame(h.socket, 'echo')).toString(), 'after WELCOME the server echoes each frame').toBe('ping');
    h.socket.end();
    expect((await readUntilEnd(h.socket)).length, 'when the client ends, the server ends too').toBe(0);
  });

  it('sends a different challenge on every connection', async () => {
    const { port } = await start();
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const h = await hello(port);
      seen.add(h.challenge.toString('hex'));
      h.socket.destroy();
    }
    expect(seen.size, '20 connections, 20 different challenges').toBe(20);
  });

  it('refuses a client with the wrong key (BAD_PROOF, then FIN)', async () => {
    const { port } = await start();
    const h = await handshake(port, randomBytes(32));
    await expectRefused(h.socket, Code.BAD_PROOF, h.reply);
  });

  it('refuses a key id it does not have (UNKNOWN_KEY), "__proto__" included', async () => {
    const { port } = await start();
    for (const keyId of ['k2', '__proto__', 'constructor']) {
      const socket = await kit.connect(port);
      socket.write(frame(helloOf(keyId)));
      await expectRefused(socket, Code.UNKNOWN_KEY);
    }
  });

  it('accepts each key of a rotation (old and new ids at once)', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const { port } = await start({
      keys: new Map([
        ['2026-01', oldKey],
        ['2026-07', newKey],
      ]),
    });
    expectWelcome(await handshake(port, oldKey, '2026-01'), oldKey);
    expectWelcome(await handshake(port, newKey, '2026-07'), newKey);
    const crossed = await handshake(port, oldKey, '2026-07');
    await expectRefused(crossed.socket, Code.BAD_PROOF, crossed.reply);
  });

  for (const [what, payload] of [
    ['an empty frame', Buffer.alloc(0)],
    ['a PROOF where HELLO belongs', proofOf(randomBytes(32))],
    ['a HELLO with no key id', helloOf('').subarray(0, 33)],
    ['a key id with a space', helloOf('k 1')],
    ['a 65-byte key id', helloOf('k'.repeat(65))],
  ] as const) {
    it(`refuses ${what} as HELLO (MALFORMED)`, async () => {
      const { port } = await start();
      const socket = await kit.connect(port);
      socket.write(frame(payload));
      await expectRefused(socket, Code.MALFORMED);
    });
  }

  for (const length of [31, 33]) {
    it(`refuses a PROOF with a ${length}-byte MAC (MALFORMED) without a throw, and keeps serving others`, async () => {
      const { port } = await start();
      const h = await hello(port);
      const right = mac(KEY, CLIENT, h.hello, h.challenge);
      // The right MAC, one byte short or one byte long: only the length is wrong.
      const answer = length === 31 ? right.subarray(0, 31) : Buffer.concat([right, Buffer.of(0)]);
      h.socket.write(frame(proofOf(answer)));
      await expectRefused(h.socket, Code.MALFORMED);
      expectWelcome(await handshake(port));
    });
  }

  it('refuses a PROOF that announces 1 MiB as soon as its 4 length bytes arrive', async () => {
    const { port, sockets } = await start();
    const h = await hello(port);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1024 * 1024 + 1);
    h.socket.write(header); // and nothing more: a server that waits for the 1 MiB never answers
    await expectRefused(h.socket, Code.MALFORMED);
    expect(sockets[0]!.bytesRead, 'your server read past the frame header').toBeLessThan(100);
    expectWelcome(await handshake(port));
  });

  it('refuses a HELLO whose length prefix says 4 GiB (MALFORMED)', async () => {
    const { port } = await start();
    const socket = await kit.connect(port);
    socket.write(Buffer.from('ffffffff', 'hex'));
    await expectRefused(socket, Code.MALFORMED);
  });

  it('refuses a replayed PROOF: one captured on one connection fails on the next', async () => {
    const { port } = await start();
    const first = await handshake(port);
    expectWelcome(first);
    const again = await kit.connect(port);
    again.write(frame(first.hello)); // the same HELLO, byte for byte
    const challenge = await readFrame(again, 'CHALLENGE');
    expect(challenge.equals(first.challenge), 'a new connection gets a new challenge').toBe(false);
    again.write(frame(first.proof));
    await expectRefused(again, Code.BAD_PROOF);
  });

  it("refuses reflections: the server's own WELCOME or CHALLENGE sent back as PROOF", async () => {
    const { port } = await start();
    const first = await handshake(port);
    expectWelcome(first);
    for (const reflected of [first.reply.subarray(1), first.challenge.subarray(1)]) {
      const socket = await kit.connect(port);
      socket.write(frame(first.hello));
      await readFrame(socket, 'CHALLENGE');
      socket.write(frame(proofOf(reflected)));
      await expectRefused(socket, Code.BAD_PROOF);
    }
  });

  it('keeps two interleaved handshakes apart: one client’s proof fails on the other’s connection', async () => {
    const { port } = await start();
    const a = await hello(port);
    const b = await hello(port);
    a.socket.write(frame(proofOf(mac(KEY, CLIENT, b.hello, b.challenge)))); // B's valid proof, on A
    await expectRefused(a.socket, Code.BAD_PROOF);
    b.socket.write(frame(proofOf(mac(KEY, CLIENT, b.hello, b.challenge))));
    expectWelcome({ ...b, reply: await readFrame(b.socket, 'WELCOME') });
  });

  it('closes a client that says nothing at the deadline (TIMEOUT)', async () => {
    const { port } = await start({ handshakeMs: 150 });
    const socket = await kit.connect(port);
    await expectRefused(socket, Code.TIMEOUT);
  });

  it('closes a client that stalls inside a frame, or after HELLO, at the deadline (TIMEOUT)', async () => {
    const { port } = await start({ handshakeMs: 150 });
    const inside = await kit.connect(port);
    inside.write(frame(helloOf()).subarray(0, 10)); // 10 of the 39 bytes, then silence
    const afterHello = await hello(port); // HELLO, then never a PROOF
    await expectRefused(inside, Code.TIMEOUT);
    await expectRefused(afterHello.socket, Code.TIMEOUT);
  });

  it('refuses a client that ends inside a frame (MALFORMED), and closes quietly for one that ends between frames', async () => {
    const { port } = await start();
    const inside = await kit.connect(port, { allowHalfOpen: true });
    inside.end(frame(helloOf()).subarray(0, 20)); // 20 of the 39 bytes, then FIN
    await expectRefused(inside, Code.MALFORMED);
    const between = await hello(port);
    between.socket.end(); // after HELLO, before PROOF
    const rest = await readUntilEnd(between.socket, { message: 'your server did not close after the client left' });
    expect(rest.length, 'a client that left gets no frame').toBe(0);
  });

  it('refuses a flood after HELLO, reads a bounded amount of it, and keeps serving others', async () => {
    const { port, sockets } = await start();
    const h = await hello(port);
    h.socket.on('error', () => {}); // the server may reset a client that keeps sending
    const refused = readFrame(h.socket, 'REFUSED');
    const junk = Buffer.alloc(64 * 1024, 0xff);
    for (let i = 0; i < 128; i++) h.socket.write(junk); // 8 MiB of length prefixes that say 4 GiB
    expect((await refused)[0], 'the flood must be refused').toBe(0xff);
    expectWelcome(await handshake(port));
    expect(sockets[0]!.bytesRead, 'your server read most of an 8 MiB flood instead of refusing it').toBeLessThan(
      2 * 1024 * 1024,
    );
  });

  it('does not buffer without bound for a client that sends but never reads', async () => {
    const { port, sockets } = await start();
    const h = await handshake(port);
    expectWelcome(h);
    const payload = Buffer.alloc(64 * 1024, 0x61);
    const count = 256; // 16 MiB of echo that the client does not read (yet)
    h.socket.pause();
    for (let i = 0; i < count; i++) h.socket.write(frame(payload));
    const server = sockets[0]!;
    // A timer, bounded: wait until the server stops reading (kernel buffers full both ways).
    let last = -1;
    for (let i = 0; i < 400 && server.bytesRead !== last; i++) {
      last = server.bytesRead;
      await sleep(25);
    }
    expect(server.writableLength, 'your server must wait for drain before echoing more').toBeLessThan(512 * 1024);
    expect(server.bytesRead, 'your server kept reading while its echoes piled up').toBeLessThan(count * payload.length);
    h.socket.end();
    const back = await readUntilEnd(h.socket, { ms: 20_000, message: 'the echoes stopped coming back' });
    expect(back.length, 'every frame comes back once the client reads').toBe(count * (4 + payload.length));
  });

  it('survives clients that reset the connection at every point of the handshake', { timeout: 30_000 }, async () => {
    const { port } = await start();
    const helloFrame = frame(helloOf());
    for (let cut = 0; cut <= helloFrame.length; cut++) {
      const socket = await kit.connect(port);
      if (cut > 0) socket.write(helloFrame.subarray(0, cut));
      socket.resetAndDestroy();
    }
    for (let cut = 0; cut <= 37; cut++) {
      const h = await hello(port);
      const proofFrame = frame(proofOf(mac(KEY, CLIENT, h.hello, h.challenge)));
      if (cut > 0) h.socket.write(proofFrame.subarray(0, cut));
      h.socket.resetAndDestroy();
    }
    const after = await handshake(port);
    expectWelcome(after);
    after.socket.write(frame(Buffer.from('x')));
    after.socket.resetAndDestroy(); // in the session, too
    expectWelcome(await handshake(port));
  });

  it('serves 50 clients at once', async () => {
    const { port } = await start();
    const all = await Promise.all(Array.from({ length: 50 }, () => handshake(port)));
    for (const h of all) expectWelcome(h);
    expect(new Set(all.map((h) => h.challenge.toString('hex'))).size, 'each client its own challenge').toBe(50);
  });

  it('refuses a session frame over 64 KiB (MALFORMED)', async () => {
    const { port } = await start();
    const h = await handshake(port);
    expectWelcome(h);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(64 * 1024 + 1);
    h.socket.write(header);
    await expectRefused(h.socket, Code.MALFORMED);
  });

  describe('every chunking of every handshake message', () => {
    it('welcomes HELLO split at every offset', async () => {
      for (const [at] of everySplit(frame(helloOf()))) {
        const run = await scripted({ helloChunks: (b) => [b.subarray(0, at), b.subarray(at)] });
        expect(run.reply[0], `HELLO split at byte ${at}: expected WELCOME, got 0x${run.reply[0]?.toString(16)}`).toBe(
          4,
        );
        await close(run);
      }
    });

    it('welcomes PROOF split at every offset', async () => {
      for (let at = 1; at < 37; at++) {
        const run = await scripted({ proofChunks: (b) => [b.subarray(0, at), b.subarray(at)] });
        expect(run.reply[0], `PROOF split at byte ${at}: expected WELCOME, got 0x${run.reply[0]?.toString(16)}`).toBe(
          4,
        );
        await close(run);
      }
    });

    it('welcomes HELLO and PROOF sent one byte at a time', async () => {
      const run = await scripted({ helloChunks: bytewise, proofChunks: bytewise });
      expect(run.reply[0], 'one byte per chunk: expected WELCOME').toBe(4);
      await close(run);
    });
  });

  describe('one bit flipped anywhere in any handshake message', () => {
    for (const [name, key, bits] of [
      ['HELLO', 'tamperHello', 35 * 8],
      ['CHALLENGE (on its way to the client)', 'tamperChallenge', 33 * 8],
      ['PROOF', 'tamperProof', 33 * 8],
    ] as const) {
      // Hundreds of scripted handshakes: bounded, but slow on a loaded machine.
      it(`refuses every one-bit change of ${name}`, { timeout: 30_000 }, async () => {
        for (let bit = 0; bit < bits; bit++) {
          const run = await scripted({ [key]: flip(bit) });
          expect(run.reply[0], `${name} bit ${bit} flipped: your server must refuse, not welcome`).toBe(0xff);
          await close(run);
        }
      });
    }
  });
});
