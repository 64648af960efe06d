// The test kit: what lesson tests use to test network code without flakes.
// See docs/ARCHITECTURE.md, "The test kit".
export { expectBytes, hexDiff, hexDump, firstDifference, BytesMismatchError } from './bytes.ts';
export {
  bytewise,
  everySplit,
  fixedSize,
  newSeed,
  randomChunks,
  seededRandom,
  splitAt,
  standardChunkings,
  whole,
} from './chunk.ts';
export { hex, pattern, sha256 } from './data.ts';
export { decodeAll, type Decoded } from './decode.ts';
export { DEFAULT_DEADLINE_MS, DeadlineError, type Deadline, formatMs, nextEvent, withDeadline } from './deadline.ts';
export {
  type Call,
  type ClientSockets,
  describeValue,
  expectClientDestroyed,
  expectErrorCode,
  rejectionOf,
  watchClientSockets,
} from './clients.ts';
export { snapshotTree, useTempDirs } from './files.ts';
export { mustCall, mustNotCall } from './must-call.ts';
export { HOST, NetKit, closeQuietly, freePort, useNetKit } from './net.ts';
export { readExactly, readUntilEnd, type ReadOptions } from './read.ts';
export { startProxy, type Chunker, type DirectionOptions, type Proxy, type ProxyOptions } from './proxy.ts';
export { resetClient } from './reset.ts';
export { ScriptedPeer } from './scripted.ts';
export { requestServer } from './servers.ts';
