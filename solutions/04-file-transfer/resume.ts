// Lesson 04, task 8 (challenge): resume an interrupted transfer.
//
// Say the Wi-Fi drops at 90% of a 2 GiB upload. Starting again from byte 0
// wastes 1.8 GiB. rsync's --partial keeps what arrived; the next attempt
// sends only the rest, and a hash of the whole file proves that the old
// part and the new part belong together. This variant of the protocol adds
// one frame: after the header, the receiver offers the offset to resume at.
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { lstat, open, rm, stat } from 'node:fs/promises';
import { type Server, type Socket, createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { commitFile } from './commit-file.ts';
import { copyBody } from './copy-body.ts';
import { parseHeader } from './file-header.ts';
import { readFrame } from './frame-then-body.ts';
import {
  DEFAULT_IDLE_MS,
  MAX_HEADER_BYTES,
  MAX_VERDICT_BYTES,
  TransferError,
  type Verdict,
  endWithVerdict,
  jsonFrame,
  parseOffer,
  parseVerdict,
  verdictFor,
  watchIdle,
} from './protocol.ts';
import type { ReceiverOptions } from './receiver.ts';
import { safeTarget } from './safe-name.ts';
import { CHUNK_BYTES, hashFile } from './send-file.ts';

/**
 * Like createReceiver (task 7), but a transfer cut short keeps its bytes in
 * `root/.<sha256>.part`. After each header it answers with an offer frame
 * {"ok":true,"offset":N}, N being the bytes of that file it already holds,
 * or with a refusal (also 'busy' while the same sha256 is being received).
 * Then it takes the remaining size - N bytes, checks the SHA-256 of the
 * whole file, and commits it (a mismatch deletes the .part: next time
 * starts from 0). Emits 'transfer' with each verdict, like task 7.
 */
export function createResumableReceiver(options: ReceiverOptions): Server {
  const budget = { left: options.quota };
  const busy = new Set<string>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    watchIdle(socket, options.idleMs ?? DEFAULT_IDLE_MS);
    receiveResumable(socket, options.root, budget, busy)
      .catch(verdictFor)
      .then((verdict) => {
        endWithVerdict(socket, verdict);
        server.emit('transfer', verdict);
      });
  });
  return server;
}

/**
 * Sends the file at `filePath` to a resumable receiver: the header, then
 * (after the receiver's offer of offset N) only bytes N to size - 1, read
 * with createReadStream({ start: N }). Resolves with the verdict, or with
 * the refusal the receiver sent instead of an offer; closes the connection.
 */
export async function sendResumable(
  socket: Duplex,
  filePath: string,
  name: string = basename(filePath),
): Promise<Verdict> {
  try {
    const { size } = await stat(filePath);
    const sha256 = await hashFile(filePath);
    socket.write(jsonFrame({ name, size, sha256 }));
    // Unlike sendFile, nothing is sent before the answer: a refusal costs
    // one round trip and no wasted body bytes.
    const offer = parseOffer(await readFrame(socket, MAX_VERDICT_BYTES), size);
    if (!offer.ok) return offer;
    const rest = size - offer.offset;
    if (rest > 0) {
      const body = createReadStream(filePath, { start: offer.offset, end: size - 1, highWaterMark: CHUNK_BYTES });
      await pipeline(body, socket, { end: false });
      if (body.bytesRead !== rest) throw new Error(`${filePath} shrank while it was being sent`);
    }
    return parseVerdict(await readFrame(socket, MAX_VERDICT_BYTES));
  } finally {
    socket.destroy();
  }
}

async function receiveResumable(
  socket: Socket,
  root: string,
  budget: { left: number },
  busy: Set<string>,
): Promise<Verdict> {
  const header = parseHeader(await readFrame(socket, MAX_HEADER_BYTES));
  const finalPath = safeTarget(root, header.name);
  // The .part is named by content, so two connections sending the same
  // file would append to one file: one at a time.
  if (busy.has(header.sha256))
    throw new TransferError('busy', 'this file is already being received on another connection');
  if (header.size > budget.left) {
    throw new TransferError(
      'quota',
      `${header.size} bytes do not fit: this receiver may accept ${budget.left} more bytes`,
    );
  }
  // Claim the file and the bytes in the same synchronous step as the checks:
  // after an `await`, another connection could have passed them too.
  busy.add(header.sha256);
  budget.left -= header.size;
  let committed = false;
  // Named by the sha256 (64 hex digits, checked by parseHeader): a .part
  // only ever continues the very same file.
  const partPath = join(dirname(finalPath), `.${header.sha256}.part`);
  try {
    if ((await sizeOf(finalPath)) !== null)
      throw new TransferError('exists', `a file named ${JSON.stringify(header.name)} is already there`);
    let offset = (await sizeOf(partPath)) ?? 0;
    if (offset > header.size) {
      await rm(partPath); // not a prefix of this file after all
      offset = 0;
    }
    // The final check covers the whole file, so the bytes already here are hashed first.
    const hash = createHash('sha256');
    if (offset > 0)
      for await (const chunk of createReadStream(partPath, { end: offset - 1 })) hash.update(chunk as Buffer);
    socket.write(jsonFrame({ ok: true, offset }));

    // Append; O_NOFOLLOW refuses a symlink planted under the .part's name.
    const { O_WRONLY, O_CREAT, O_APPEND, O_NOFOLLOW = 0 } = constants;
    const out = (await open(partPath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW)).createWriteStream();
    let body;
    try {
      body = await copyBody(socket, header.size - offset, out, hash);
      if (socket.readableLength > 0)
        throw new TransferError('long-body', `more than the ${header.size - offset} bytes asked for came`);
    } catch (err) {
      // Keep the .part: the next attempt resumes from here.
      out.destroy();
      await finished(out).catch(() => {});
      throw err;
    }
    try {
      if (body.sha256 !== header.sha256) {
        throw new TransferError(
          'hash-mismatch',
          `the file's SHA-256 is ${body.sha256}, not the ${header.sha256} announced`,
        );
      }
      await commitFile(partPath, finalPath);
    } catch (err) {
      await rm(partPath, { force: true }); // a wrong or unusable .part: start over next time
      throw err;
    }
    committed = true;
    return { ok: true, name: header.name, size: header.size, sha256: header.sha256 };
  } finally {
    busy.delete(header.sha256);
    if (!committed) budget.left += header.size;
  }
}

/** The size of the file at `path` (not following symlinks), or null if there is none. */
async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await lstat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
