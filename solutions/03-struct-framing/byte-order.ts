// Lesson 03, task 1: lengths in network byte order.
//
// Say a Python program sends you messages framed with struct.pack('i', n),
// as the tutorials do. On its x86 laptop that writes 1000 as e8 03 00 00;
// your server reads network order and sees 3,892,510,720. These helpers
// write and read lengths the portable way, and spot the mistake.

/** What Python's struct.pack('i', n) writes on x86 and ARM: signed 32-bit, little-endian. */
export function packNativeInt(n: number): Buffer {
  // 'i' is a C int: signed, so it cannot hold lengths of 2 GiB or more.
  if (!Number.isInteger(n) || n < -0x8000_0000 || n > 0x7fff_ffff) {
    throw new RangeError(`'i' format requires -2147483648 <= number <= 2147483647, got ${n}`);
  }
  const bytes = Buffer.alloc(4);
  bytes.writeInt32LE(n, 0);
  return bytes;
}

/** The 4-byte length header for `n`: unsigned 32-bit, big-endian (Python's struct.pack('!I', n)). */
export function encodeLength(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) {
    throw new RangeError(`a length must be a whole number from 0 to 4294967295 (0xFFFFFFFF), got ${n}`);
  }
  const header = Buffer.alloc(4);
  header.writeUInt32BE(n, 0); // most significant byte first
  return header;
}

/** Reads the length in the first 4 bytes of `header`: unsigned, big-endian. */
export function decodeLength(header: Uint8Array): number {
  if (header.byteLength < 4) {
    throw new RangeError(
      `a length header is 4 bytes, but only ${header.byteLength} arrived: keep reading until all 4 are in`,
    );
  }
  return view(header).readUInt32BE(0);
}

/**
 * True when `header` announces more than `maxFrameSize` bytes in network
 * order but would fit if read little-endian: the peer most likely wrote its
 * length in native order. A hint for an error message, never a licence to
 * accept the frame: a real 16 MiB frame (01 00 00 00) also looks like this.
 */
export function looksLittleEndian(header: Uint8Array, maxFrameSize: number): boolean {
  return decodeLength(header) > maxFrameSize && view(header).readUInt32LE(0) <= maxFrameSize;
}

/** A Buffer over the same bytes (no copy), for its readUInt32BE/LE methods. */
function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
