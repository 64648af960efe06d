// Lesson 04, task 8 (challenge): resume an interrupted transfer.
//
// Say the Wi-Fi drops at 90% of a 2 GiB upload. Starting again from byte 0
// wastes 1.8 GiB. rsync's --partial keeps what arrived; the next attempt
// sends only the rest, and a hash of the whole file proves that the old
// part and the new part belong together. This variant of the protocol adds
// one frame: after the header, the receiver offers the offset to resume at.
import type { Server } from 'node:net';
import { basename } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Verdict } from './protocol.ts';
import type { ReceiverOptions } from './receiver.ts';

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
  // TODO: start from your createReceiver. After the checks, N = the size of
  // the .part (0 if none; delete it and use 0 if it is longer than the file).
  // Hash its N bytes first (createReadStream), write the offer frame, then
  // copyBody(socket, size - N, <the .part opened for appending>, hash). Keep
  // the .part when the connection fails; delete it on a hash mismatch.
  throw new Error('TODO: write createResumableReceiver (task 8 in lessons/04-file-transfer/README.md)');
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
  // TODO: like sendFile, but wait for the answer to the header first:
  // parseOffer(await readFrame(...), size) from protocol.ts. A refusal is
  // returned as it is; otherwise pipe bytes offset..size-1, then read the verdict.
  throw new Error('TODO: write sendResumable (task 8 in lessons/04-file-transfer/README.md)');
}
