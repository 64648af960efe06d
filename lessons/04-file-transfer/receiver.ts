// Lesson 04, task 7: the receiver.
//
// Say colleagues send you files over the office network. Your receiver
// must take any number of them at once, save each one whole or not at all,
// never write outside its folder, never replace a file, never fill the
// disk past its quota, and survive senders that lie, stall or vanish.
// Tasks 1 to 6 built the parts; here they become one server.
import type { Server } from 'node:net';

// #region write-buffer
/**
 * How many bytes the temporary file's write stream may buffer before
 * write() returns false. The 16 KiB default makes the socket pause and
 * resume for almost every 64 KiB chunk; 1 MiB lets chunks queue and reach
 * the disk in fewer, larger writes (README, "Buffer sizes").
 */
const WRITE_BUFFER_BYTES = 1024 * 1024;
// #endregion write-buffer

export interface ReceiverOptions {
  /** The folder files are saved in (it must exist). */
  root: string;
  /** The most bytes this receiver accepts in total: files saved plus transfers in progress. */
  quota: number;
  /** Drop a connection that sends nothing for this long, in ms (default DEFAULT_IDLE_MS). */
  idleMs?: number;
}

/**
 * Creates (but does not start) a TCP server that receives one file per
 * connection (README, "Wire format") into `options.root`, answers with a
 * verdict frame, and emits 'transfer' with that verdict once the
 * connection's work is over and any temporary file is gone.
 */
export function createReceiver(options: ReceiverOptions): Server {
  // TODO: keep `let left = options.quota` for all connections. Create the
  // server with createServer({ allowHalfOpen: true }, ...) so a sender that
  // half-closes still gets its verdict. For each connection: an 'error'
  // listener, watchIdle(socket, idleMs) (from protocol.ts), then one
  // transfer: readFrame -> parseHeader -> safeTarget -> check the quota AND
  // reserve the size at once, with no `await` in between -> refuse a name
  // that exists (lstat) -> createWriteStream(<root>/.upload-<uuid>.tmp,
  // { flags: 'wx', highWaterMark: WRITE_BUFFER_BYTES }) -> copyBody ->
  // refuse with 'long-body' if socket.readableLength > 0 -> compare sha256
  // -> commitFile. On any failure give the quota back, destroy the write
  // stream, await finished() on it, and rm the temporary file. Finally
  // endWithVerdict(socket, verdict or verdictFor(error)) and
  // server.emit('transfer', verdict).
  throw new Error('TODO: write createReceiver (task 7 in lessons/04-file-transfer/README.md)');
}
