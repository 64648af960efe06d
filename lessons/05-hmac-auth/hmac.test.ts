import { describe, expect, it } from 'vitest';
import { expectBytes } from '../../runner/kit/index.ts';
import { hmacSha256, macEquals } from './hmac.ts';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

// RFC 4231, section 4: the published HMAC-SHA-256 test cases.
const cases = [
  {
    name: 'test case 1 (a 20-byte key of 0x0b, "Hi There")',
    key: Buffer.alloc(20, 0x0b),
    data: Buffer.from('Hi There'),
    mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  },
  {
    name: 'test case 2 (key "Jefe", "what do ya want for nothing?")',
    key: Buffer.from('Jefe'),
    data: Buffer.from('what do ya want for nothing?'),
    mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  },
  {
    name: 'test case 6 (a 131-byte key, longer than a SHA-256 block, so it is hashed first)',
    key: Buffer.alloc(131, 0xaa),
    data: Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  },
  {
    name: 'test case 7 (a 131-byte key and 152 bytes of data)',
    key: Buffer.alloc(131, 0xaa),
    data: Buffer.from(
      'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
    ),
    mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  },
];

describe('Task 1: HMAC-SHA-256, compared in constant time', () => {
  for (const c of cases) {
    it(`gives the RFC 4231 result for ${c.name}`, () => {
      expectBytes(hmacSha256(c.key, c.data), hex(c.mac), `HMAC-SHA-256 for RFC 4231 ${c.name}`);
    });
  }

  it('takes the message as a string (UTF-8) as well as bytes', () => {
    expectBytes(
      hmacSha256(Buffer.from('Jefe'), 'what do ya want for nothing?'),
      hex(cases[1]!.mac),
      'HMAC of a string',
    );
  });

  it('says true for two equal MACs', () => {
    const mac = hex(cases[1]!.mac);
    expect(macEquals(mac, Buffer.from(mac)), 'macEquals(mac, a copy of mac) must be true').toBe(true);
  });

  it('says false when any one bit differs, first byte to last', () => {
    const mac = hex(cases[0]!.mac);
    for (let bit = 0; bit < mac.length * 8; bit++) {
      const other = Buffer.from(mac);
      other[bit >> 3]! ^= 1 << (bit & 7);
      expect(macEquals(mac, other), `macEquals must be false when bit ${bit} differs (byte ${bit >> 3})`).toBe(false);
    }
  });

  for (const [what, length] of [
    ['31 bytes', 31],
    ['33 bytes', 33],
    ['no bytes', 0],
    ['1 MiB', 1024 * 1024],
  ] as const) {
    it(`says false, without throwing, for an answer of ${what}`, () => {
      const mac = hex(cases[0]!.mac);
      // Same first bytes as the real MAC, so only the length is wrong.
      const answer = Buffer.alloc(length);
      mac.copy(answer, 0, 0, Math.min(length, mac.length));
      let result: boolean | undefined;
      expect(() => {
        result = macEquals(mac, answer);
      }, 'timingSafeEqual throws on different lengths: check the lengths first and return false').not.toThrow();
      expect(result, `an answer of ${what} is not the 32-byte MAC`).toBe(false);
    });
  }
});
