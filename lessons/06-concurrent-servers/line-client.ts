// Lesson 06: the client the tests use to talk to your servers.
//
// Given complete: read it to see what the tests send and expect. It
// splits what a server sends into lines with its own code, so the tests
// never depend on yours.
import type { Socket } from 'node:net';
import { withDeadline } from '../../runner/kit/index.ts';

/** One line, with `ms` to wait for it and what to say if it never comes. */
export interface LineWait {
  ms?: number;
  message?: string;
}

/** Reads a server's replies as lines; `ask()` sends one request and waits for its reply. */
export class LineClient {
  readonly socket: Socket;
  readonly #lines: Buffer[] = [];
  #partial: Buffer[] = [];
  #ended = false;
  #endedBy: 'end' | 'close' | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      let start = 0;
      for (let end = chunk.indexOf(0x0a); end >= 0; end = chunk.indexOf(0x0a, start)) {
        this.#lines.push(Buffer.concat([...this.#partial, chunk.subarray(start, end + 1)]));
        this.#partial = [];
        start = end + 1;
      }
      if (start < chunk.length) this.#partial.push(chunk.subarray(start));
      this.#wakeAll();
    });
    const ended = (how: 'end' | 'close') => () => {
      this.#ended = true;
      this.#endedBy ??= how;
      this.#wakeAll();
    };
    socket.on('end', ended('end'));
    socket.on('close', ended('close'));
    socket.on('error', () => {}); // a reset shows as 'close'; the tests say what it means
  }

  /** How many whole lines have arrived and are not yet read with next(). */
  get waitingLines(): number {
    return this.#lines.length;
  }

  /** Bytes that arrived after the last newline. */
  get partialBytes(): number {
    return this.#partial.reduce((n, b) => n + b.length, 0);
  }

  /** True once the server ended or closed the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  /** 'end' when the server sent FIN first; 'close' when the connection closed without a FIN (a reset). */
  get endedBy(): 'end' | 'close' | undefined {
    return this.#endedBy;
  }

  /** The next line, newline included; rejects if the connection ends first or the wait passes `ms`. */
  next({ ms = 2_000, message = 'your server never replied' }: LineWait = {}): Promise<Buffer> {
    const wait = async (): Promise<Buffer> => {
      while (this.#lines.length === 0) {
        if (this.#ended) {
          const partial = this.partialBytes;
          throw new Error(
            `${message}: the connection ${this.#endedBy === 'end' ? 'ended' : 'closed'} before a whole line arrived${partial > 0 ? ` (${partial} bytes without a newline)` : ''}`,
          );
        }
        await this.#changed();
      }
      return this.#lines.shift()!;
    };
    return withDeadline(wait(), { ms, message });
  }

  #wakeAll(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  #changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.add(resolve));
  }

  /** Sends `request` and a newline, and resolves with the reply line. */
  ask(request: string | Buffer, wait: LineWait = {}): Promise<Buffer> {
    this.socket.write(Buffer.concat([Buffer.from(request), Buffer.of(0x0a)]));
    return this.next({ message: `your server never answered ${JSON.stringify(String(request))}`, ...wait });
  }

  /** Resolves once the server has ended or closed the connection. */
  async closed({ ms = 2_000, message = 'your server never closed the connection' }: LineWait = {}): Promise<void> {
    const wait = async (): Promise<void> => {
      while (!this.#ended) await this.#changed();
    };
    await withDeadline(wait(), { ms, message });
  }
}
