import { describe, expect, it } from 'vitest';
import { expectBytes } from '../../runner/kit/index.ts';
import { clientProof, serverProof } from './proofs.ts';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const range = (from: number, n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (from + i) & 0xff));

// The README's example: key 00 01 .. 1f, client nonce 20 .. 3f, key id "k1", server nonce 40 .. 5f.
const key = range(0x00, 32);
const hello = Buffer.concat([Buffer.of(0x01), range(0x20, 32), Buffer.from('k1')]);
const challenge = Buffer.concat([Buffer.of(0x02), range(0x40, 32)]);

function flipped(bytes: Buffer, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

describe('Task 3: proofs bound to a role and a transcript', () => {
  it('gives the client proof of the README example', () => {
    expectBytes(
      clientProof(key, hello, challenge),
      hex('34c8f1929ff4e0bea931d85e0bb982dc72369c5cd07d48e4f0551cd90273118c'),
      'HMAC-SHA-256(key, "l05 client proof" | HELLO | CHALLENGE)',
    );
  });

  it('gives the server proof of the README example', () => {
    expectBytes(
      serverProof(key, hello, challenge),
      hex('acec8930f3f63bbd4d03659aba4dacfd3f19d883d31d536c8bf0d4784239b365'),
      'HMAC-SHA-256(key, "l05 server proof" | HELLO | CHALLENGE)',
    );
  });

  it('never lets a server proof pass for a client proof (reflection)', () => {
    // A reflecting attacker sends the server's own words back: the nonce it
    // was challenged with as its nonce, the proof it was given as its proof.
    const reflectedHello = Buffer.concat([Buffer.of(0x01), challenge.subarray(1), Buffer.from('k1')]);
    const reflectedChallenge = Buffer.concat([Buffer.of(0x02), hello.subarray(1, 33)]);
    const server = serverProof(key, hello, challenge);
    expect(server.equals(clientProof(key, hello, challenge)), 'the two roles need different labels').toBe(false);
    expect(server.equals(clientProof(key, reflectedHello, reflectedChallenge)), 'nonces swapped').toBe(false);
  });

  it('changes when the server nonce changes, so an old proof fails on a new connection (replay)', () => {
    const next = Buffer.concat([Buffer.of(0x02), range(0x41, 32)]);
    expect(
      clientProof(key, hello, next).equals(clientProof(key, hello, challenge)),
      'a new challenge, a new proof',
    ).toBe(false);
  });

  it('changes when any bit of HELLO or CHALLENGE changes (key id and both nonces are bound)', () => {
    const client = clientProof(key, hello, challenge);
    const server = serverProof(key, hello, challenge);
    for (let bit = 0; bit < hello.length * 8; bit++) {
      const other = flipped(hello, bit);
      expect(clientProof(key, other, challenge).equals(client), `client proof, HELLO bit ${bit} flipped`).toBe(false);
      expect(serverProof(key, other, challenge).equals(server), `server proof, HELLO bit ${bit} flipped`).toBe(false);
    }
    for (let bit = 0; bit < challenge.length * 8; bit++) {
      const other = flipped(challenge, bit);
      expect(clientProof(key, hello, other).equals(client), `client proof, CHALLENGE bit ${bit} flipped`).toBe(false);
      expect(serverProof(key, hello, other).equals(server), `server proof, CHALLENGE bit ${bit} flipped`).toBe(false);
    }
  });

  it('changes with the key', () => {
    expect(clientProof(flipped(key, 0), hello, challenge).equals(clientProof(key, hello, challenge))).toBe(false);
  });
});
