// Deterministic re-chunking. TCP delivers a byte stream: one write may arrive
// as many 'data' events and many writes as one. On loopback the kernel
// almost always hands over whole writes, which hides framing bugs, so the
// tests choose the chunking themselves.

/** A seeded pseudo-random generator (mulberry32): the same seed, the same numbers. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh seed, to be printed with any failure so it can be replayed. */
export function newSeed(): number {
  return Number(process.env.WORKBOOK_SEED ?? Math.floor(Math.random() * 2 ** 31));
}

/** Splits `bytes` at the given offsets (sorted, each inside the buffer). */
export function splitAt(bytes: Uint8Array, offsets: readonly number[]): Buffer[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cuts = [...new Set(offsets)].filter((o) => o > 0 && o < buf.length).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, buf.length]) {
    chunks.push(buf.subarray(start, cut));
    start = cut;
  }
  return chunks.filter((c) => c.length > 0);
}

/** The whole buffer as one chunk (what loopback usually does). */
export function whole(bytes: Uint8Array): Buffer[] {
  return bytes.length === 0 ? [] : [Buffer.from(bytes)];
}

/** One chunk per byte: the harshest chunking. */
export function bytewise(bytes: Uint8Array): Buffer[] {
  return Array.from(bytes, (b) => Buffer.of(b));
}

/** Chunks of at most `size` bytes. */
export function fixedSize(bytes: Uint8Array, size: number): Buffer[] {
  // A size below 1 would never move past the start: refuse it rather than loop forever.
  if (!(size >= 1)) throw new RangeError(`fixedSize needs a chunk size of at least 1 byte, got ${size}`);
  const offsets: number[] = [];
  for (let o = size; o < bytes.length; o += size) offsets.push(o);
  return splitAt(bytes, offsets);
}

/** Every way to cut `bytes` in two: [offset, [head, tail]] for each inner offset. */
export function* everySplit(bytes: Uint8Array): Generator<[number, Buffer[]]> {
  for (let at = 1; at < bytes.length; at++) yield [at, splitAt(bytes, [at])];
}

/** Random cuts from a seed; each chunk is 1 to `maxChunk` bytes long. */
export function randomChunks(bytes: Uint8Array, seed: number, maxChunk = 16): Buffer[] {
  // A negative maxChunk could step backwards and never reach the end.
  if (!(maxChunk >= 1)) throw new RangeError(`randomChunks needs a maxChunk of at least 1 byte, got ${maxChunk}`);
  const random = seededRandom(seed);
  const offsets: number[] = [];
  for (let o = 0; o < bytes.length; ) {
    o += 1 + Math.floor(random() * maxChunk);
    offsets.push(o);
  }
  return splitAt(bytes, offsets);
}

/** The named chunkings every decoder test runs through. */
export function standardChunkings(bytes: Uint8Array, seed: number): Array<[string, Buffer[]]> {
  return [
    ['all at once', whole(bytes)],
    ['one byte at a time', bytewise(bytes)],
    ['in 3-byte chunks', fixedSize(bytes, 3)],
    [`in random chunks (seed ${seed}; replay with WORKBOOK_SEED=${seed})`, randomChunks(bytes, seed)],
  ];
}
