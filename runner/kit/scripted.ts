// A stand-in for a connection, for testing client code deterministically.
// Client functions in the lessons take any Duplex stream; a ScriptedPeer
// delivers the exact chunks a test chooses, each as its own 'data' event,
// and records every byte the client writes.
import { Duplex } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';

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

  /** Resolves once the client has written at least `n` bytes in total. */
  async waitForBytes(n: number): Promise<Buffer> {
    while (this.received.length < n) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.received;
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
