// Watch mode's events: everything that can happen while it waits, as one
// typed stream that a single loop (loop.ts) handles in order. The model is
// rustlings' src/watch.rs: input, file changes and finished runs all arrive
// as messages on one channel, so no two handlers ever race.
import type { ExerciseResult } from '../check/verdict.ts';

/** What a key press asks for (input.ts maps the keys). */
export type KeyAction = 'check' | 'hint' | 'list' | 'quit' | 'interrupt';

export type WatchEvent =
  | { type: 'files'; paths: string[] }
  | { type: 'key'; action: KeyAction }
  | { type: 'resize' }
  | { type: 'input-closed' }
  | { type: 'run-finished'; run: number; result: ExerciseResult; analysis: () => Promise<string[]> }
  | { type: 'run-failed'; run: number; error: Error }
  | { type: 'analysis'; run: number; lines: string[] };

/** A first-in first-out queue of events with an awaitable `next()`. */
export class EventQueue {
  #events: WatchEvent[] = [];
  #waiting: ((event: WatchEvent) => void) | undefined;

  push(event: WatchEvent): void {
    const wake = this.#waiting;
    if (wake) {
      this.#waiting = undefined;
      wake(event);
    } else this.#events.push(event);
  }

  next(): Promise<WatchEvent> {
    const event = this.#events.shift();
    if (event) return Promise.resolve(event);
    return new Promise((resolve) => (this.#waiting = resolve));
  }
}
