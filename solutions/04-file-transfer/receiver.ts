// Lesson 04, task 7: the receiver.
//
// Say colleagues send you files over the office network. Your receiver
// must take any number of them at once, save each one whole or not at all,
// never write outside its folder, never replace a file, never fill the
// disk past its quota, and survive senders that lie, stall or vanish.
// Tasks 1 to 6 built the parts; here they become one server.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, rm } from 'node:fs/promises';
import { type Server, type Socket, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { commitFile } from './commit-file.ts';
import { copyBody } from './copy-body.ts';
import { parseHeader } from './file-header.ts';
import { readFrame } from './frame-then-body.ts';
import {
  DEFAULT_IDLE_MS,
  type Header,
  MAX_HEADER_BYTES,
  TransferError,
  type Verdict,
  endWithVerdict,
  verdictFor,
  watchIdle,
} from './protocol.ts';
import { safeTarget } from './safe-name.ts';

/**
 * How many bytes the temporary file's write stream may buffer before
 * write() returns false. The 16 KiB default makes the socket pause and
 * resume for almost every 64 KiB chunk; 1 MiB lets chunks queue and reach
 * the disk in fewer, larger writes (README, "Buffer sizes").
 */
const WRITE_BUFFER_BYTES = 1024 * 1024;

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
  // Bytes still allowed. Shared by all connections, and reserved when a
  // header is accepted, so two transfers at once cannot both fit the quota.
  const budget = { left: options.quota };
  // allowHalfOpen: a sender that half-closes (FIN) after its body, or too
  // early, can still read its verdict on our half of the connection.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    // Without an 'error' listener one reset connection would crash the server.
    socket.on('error', () => {});
    // A silent sender gets the timeout verdict; the error reaches the transfer below.
    watchIdle(socket, options.idleMs ?? DEFAULT_IDLE_MS);
    receive(socket, options.root, budget)
      .catch(verdictFor)
      .then((verdict) => {
        endWithVerdict(socket, verdict);
        server.emit('transfer', verdict);
      });
  });
  return server;
}

/** One transfer: header, checks, body, commit. Resolves with the ok verdict or throws. */
async function receive(socket: Socket, root: string, budget: { left: number }): Promise<Verdict> {
  const header = parseHeader(await readFrame(socket, MAX_HEADER_BYTES));
  const finalPath = safeTarget(root, header.name);
  // Check and reserve in one synchronous step. With an `await` in between,
  // every header that arrives meanwhile passes the same check.
  if (header.size > budget.left) {
    throw new TransferError(
      'quota',
      `${header.size} bytes do not fit: this receiver may accept ${budget.left} more bytes`,
    );
  }
  budget.left -= header.size;
  try {
    return await saveBody(socket, header, finalPath);
  } catch (err) {
    budget.left += header.size;
    throw err;
  }
}

/** Refuses a name that exists, then writes the body to a temporary file, checks it and commits it. */
async function saveBody(socket: Socket, header: Header, finalPath: string): Promise<Verdict> {
  // Refuse early what can be refused early: before the first byte is written.
  if (await exists(finalPath))
    throw new TransferError('exists', `a file named ${JSON.stringify(header.name)} is already there`);
  // The temporary file sits in the same folder (rename and link work only
  // within one file system) and starts with '.', which no accepted name
  // does, so it can never clash with a real file. 'wx' fails rather than
  // open anything that already exists, even a planted symlink.
  const tempPath = join(dirname(finalPath), `.upload-${randomUUID()}.tmp`);
  const out = createWriteStream(tempPath, { flags: 'wx', highWaterMark: WRITE_BUFFER_BYTES });
  try {
    const body = await copyBody(socket, header.size, out);
    // copyBody put back what came after the body: the sender said `size`, and lied.
    if (socket.readableLength > 0) {
      throw new TransferError('long-body', `more than the ${header.size} bytes announced came after the header`);
    }
    // Both hashes are public, so a plain comparison is fine here (this is an
    // integrity check, not a secret like an HMAC).
    if (body.sha256 !== header.sha256) {
      throw new TransferError(
        'hash-mismatch',
        `the body's SHA-256 is ${body.sha256}, not the ${header.sha256} announced`,
      );
    }
    await commitFile(tempPath, finalPath);
    return { ok: true, name: header.name, size: header.size, sha256: header.sha256 };
  } catch (err) {
    // Close the file before removing it (a file being opened could otherwise
    // reappear after rm), then remove it: nothing half-written stays behind.
    out.destroy();
    await finished(out).catch(() => {});
    await rm(tempPath, { force: true });
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path); // lstat: a symlink there counts, even a dangling one
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
