// A stand-in for a connection, for testing client code deterministically.
// Client functions in the lessons take any Duplex stream; a ScriptedPeer
// delivers the exact chunks a test chooses, each as its own 'data' event,
// and records every byte the client writes.
import { Duplex } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DEFAULT_DEADLINE_MS, type Deadline, withDeadline } from './deadline.ts';

export class ScriptedPeer extends Duplex {
  readonly #received: Buffer[] = [];
  readonly #waiters: Array<() => void> = [];

  constructor(private readonly onWrite?: (chunk: Buffer, peer: ScriptedPeer) => void) {
    super({ allowHalfOpen: true });
  }

  /** Every byte the client has written so far. */
  get received(): Buffer {
    return Buffer.concat(this.#received);
  }

  /** Whether the client has ended its side (called end()). */
  clientEnded = false;

  /**
   * Delivers each chunk as its own 'data' event, one per event-loop turn,
   * then ends the readable side if asked.
   */
  async deliver(chunks: readonly Uint8Array[], { end = false }: { end?: boolean } = {}): Promise<void> {
    for (const chunk of chunks) {
      await nextTurn();
      this.push(Buffer.from(chunk));
    }
    if (end) {
      await nextTurn();
      this.push(null);
    }
  }

  /**
   * Resolves with everything written once the client has written at least
   * `n` bytes in total. Rejects if the client ends its side first, or when
   * the deadline passes (2 s by default).
   */
  waitForBytes(n: number, { ms = DEFAULT_DEADLINE_MS, message }: Deadline = {}): Promise<Buffer> {
    const enough = new Promise<Buffer>((resolve, reject) => {
      const check = (): void => {
        const got = this.received;
        if (got.length >= n) resolve(got);
        else if (this.clientEnded)
          reject(new Error(`the client ended its side after writing ${got.length} of the ${n} bytes expected`));
        else this.#waiters.push(check);
      };
      check();
    });
    return withDeadline(enough, {
      ms,
      message: message ?? (() => `the client wrote only ${this.received.length} of the ${n} bytes expected`),
    });
  }

  override _read(): void {
    // Data is pushed by deliver(); nothing to do on demand.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#received.push(Buffer.from(chunk));
    for (const wake of this.#waiters.splice(0)) wake();
    this.onWrite?.(chunk, this);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.clientEnded = true;
    for (const wake of this.#waiters.splice(0)) wake();
    callback();
  }
}
