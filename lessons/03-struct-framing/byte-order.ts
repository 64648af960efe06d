// Lesson 03, task 1: lengths in network byte order.
//
// Say a Python program sends you messages framed with struct.pack('i', n),
// as the tutorials do. On its x86 laptop that writes 1000 as e8 03 00 00;
// your server reads network order and sees 3,892,510,720. These helpers
// write and read lengths the portable way, and spot the mistake.

/** What Python's struct.pack('i', n) writes on x86 and ARM: signed 32-bit, little-endian. */
export function packNativeInt(n: number): Buffer {
  // TODO: throw a RangeError unless n is a whole number from -2147483648 to
  // 2147483647, then write it into a 4-byte Buffer with writeInt32LE.
  throw new Error('TODO: write packNativeInt (task 1 in lessons/03-struct-framing/README.md)');
}

/** The 4-byte length header for `n`: unsigned 32-bit, big-endian (Python's struct.pack('!I', n)). */
export function encodeLength(n: number): Buffer {
  // TODO: throw a RangeError unless n is a whole number from 0 to 4294967295,
  // then write it into a 4-byte Buffer with writeUInt32BE.
  throw new Error('TODO: write encodeLength (task 1 in lessons/03-struct-framing/README.md)');
}

/** Reads the length in the first 4 bytes of `header`: unsigned, big-endian. */
export function decodeLength(header: Uint8Array): number {
  // TODO: throw a RangeError if fewer than 4 bytes are given; otherwise read
  // them as a big-endian unsigned 32-bit number.
  throw new Error('TODO: write decodeLength (task 1 in lessons/03-struct-framing/README.md)');
}

/**
 * True when `header` announces more than `maxFrameSize` bytes in network
 * order but would fit if read little-endian: the peer most likely wrote its
 * length in native order. A hint for an error message, never a licence to
 * accept the frame: a real 16 MiB frame (01 00 00 00) also looks like this.
 */
export function looksLittleEndian(header: Uint8Array, maxFrameSize: number): boolean {
  // TODO: read the 4 bytes both ways (big-endian and little-endian) and
  // compare each with maxFrameSize.
  throw new Error('TODO: write looksLittleEndian (task 1 in lessons/03-struct-framing/README.md)');
}
