// Deadlines are what a learner reads when their code hangs, so their
// messages are tested word for word. Fake timers stand in for the 2 s
// defaults so that the suite stays fast; real timers are used only with
// deadlines of a few milliseconds.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_DEADLINE_MS, DeadlineError, formatMs, nextEvent, withDeadline } from '../../runner/kit/index.ts';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Fakes only the timers withDeadline uses, so promises and I/O run as usual. */
function fakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
}

/** A promise that never settles: what a hung learner program looks like. */
const never = (): Promise<never> => new Promise<never>(() => {});

/** Records how a promise settled, without letting a rejection go unhandled. */
function track<T>(promise: Promise<T>): {
  readonly state: 'pending' | 'resolved' | 'rejected';
  readonly value: unknown;
} {
  const seen = { state: 'pending' as 'pending' | 'resolved' | 'rejected', value: undefined as unknown };
  promise.then(
    (v) => Object.assign(seen, { state: 'resolved', value: v }),
    (e: unknown) => Object.assign(seen, { state: 'rejected', value: e }),
  );
  return seen;
}

describe('formatMs', () => {
  it.each([
    [0, '0 ms'],
    [20, '20 ms'],
    [999, '999 ms'],
    [1000, '1 s'],
    [2000, '2 s'],
    [1500, '1.5 s'],
    [1234, '1.2 s'],
    [60_000, '60 s'],
  ])('writes %i ms as "%s"', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });

  it('gives the default deadline as "2 s"', () => {
    expect(DEFAULT_DEADLINE_MS).toBe(2000);
    expect(formatMs(DEFAULT_DEADLINE_MS)).toBe('2 s');
  });
});

describe('withDeadline', () => {
  it('resolves with the value of a promise that settles in time, and clears its timer', async () => {
    fakeTimers();
    await expect(withDeadline(Promise.resolve(42))).resolves.toBe(42);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes a rejection through unchanged, and clears its timer', async () => {
    fakeTimers();
    const boom = new Error('boom');
    await expect(withDeadline(Promise.reject(boom))).rejects.toBe(boom);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects after 2 s by default with "the operation did not finish within 2 s"', async () => {
    fakeTimers();
    const seen = track(withDeadline(never()));
    await vi.advanceTimersByTimeAsync(DEFAULT_DEADLINE_MS - 1);
    expect(seen.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(seen.state).toBe('rejected');
    expect(seen.value).toBeInstanceOf(DeadlineError);
    expect((seen.value as Error).message).toBe('the operation did not finish within 2 s');
  });

  it('puts the wait in brackets after a message that is a whole sentence', async () => {
    const error = await withDeadline(new Promise(() => {}), {
      ms: 20,
      message: 'did it call end()? This server replies only after the request ends.',
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'did it call end()? This server replies only after the request ends. (waited 20 ms)',
    );
  });

  it('adds "within <duration>" to the message it is given', async () => {
    const error = await withDeadline(never(), { ms: 20, message: 'your server never replied' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error).toMatchObject({ name: 'DeadlineError', message: 'your server never replied within 20 ms' });
  });

  it('writes long deadlines in seconds', async () => {
    fakeTimers();
    const seen = track(withDeadline(never(), { ms: 1500, message: 'no reply came' }));
    await vi.advanceTimersByTimeAsync(1500);
    expect((seen.value as Error).message).toBe('no reply came within 1.5 s');
  });

  it('calls a lazy message only when the deadline passes, so it can say what was seen by then', async () => {
    fakeTimers();
    let received = 0;
    const message = vi.fn(() => `only ${received} of the 5 bytes arrived`);
    const seen = track(withDeadline(never(), { ms: 100, message }));
    received = 3;
    await vi.advanceTimersByTimeAsync(99);
    expect(message).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(message).toHaveBeenCalledTimes(1);
    expect((seen.value as Error).message).toBe('only 3 of the 5 bytes arrived within 100 ms');
  });

  it('never calls a lazy message when the promise settles in time', async () => {
    const message = vi.fn(() => 'unused');
    await withDeadline(Promise.resolve('ok'), { ms: 20, message });
    await withDeadline(Promise.reject(new Error('no')), { ms: 20, message }).catch(() => {});
    expect(message).not.toHaveBeenCalled();
  });

  it('uses a timer that does not keep the process alive', async () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const pending = withDeadline(never(), { ms: 20 }).catch(() => {});
    const timer = spy.mock.results.at(-1)?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    await pending;
  });
});

describe('nextEvent', () => {
  it("resolves with the event's arguments, as an array", async () => {
    const emitter = new EventEmitter();
    const waited = nextEvent<[string, number]>(emitter, 'message');
    emitter.emit('message', 'hello', 5);
    await expect(waited).resolves.toEqual(['hello', 5]);
  });

  it("rejects with the error when 'error' is emitted first", async () => {
    const emitter = new EventEmitter();
    const waited = nextEvent(emitter, 'connect');
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:1');
    emitter.emit('error', refused);
    await expect(waited).rejects.toBe(refused);
  });

  it("does not reject on 'error' while waiting for 'close' (close follows an error)", async () => {
    const emitter = new EventEmitter();
    const waited = nextEvent(emitter, 'close');
    // nextEvent must leave 'error' to the caller here: it adds no listener.
    expect(emitter.listenerCount('error')).toBe(0);
    emitter.on('error', () => {});
    emitter.emit('error', new Error('ECONNRESET'));
    emitter.emit('close', true);
    await expect(waited).resolves.toEqual([true]);
  });

  it("resolves with the error when waiting for 'error' itself", async () => {
    const emitter = new EventEmitter();
    const waited = nextEvent<[Error]>(emitter, 'error');
    const reset = new Error('ECONNRESET');
    emitter.emit('error', reset);
    await expect(waited).resolves.toEqual([reset]);
  });

  it('says which event never came: "no \'listening\' event came within 20 ms"', async () => {
    const error = await nextEvent(new EventEmitter(), 'listening', { ms: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineError);
    expect((error as Error).message).toBe("no 'listening' event came within 20 ms");
  });

  it('waits 2 s by default', async () => {
    fakeTimers();
    const seen = track(nextEvent(new EventEmitter(), 'connect'));
    await vi.advanceTimersByTimeAsync(1999);
    expect(seen.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect((seen.value as Error).message).toBe("no 'connect' event came within 2 s");
  });

  it('uses the message it is given, plain or lazy', async () => {
    const plain = await nextEvent(new EventEmitter(), 'connection', { ms: 20, message: 'no client connected' }).catch(
      (e: unknown) => e,
    );
    expect((plain as Error).message).toBe('no client connected within 20 ms');
    const lazy = await nextEvent(new EventEmitter(), 'connection', { ms: 20, message: () => 'still no client' }).catch(
      (e: unknown) => e,
    );
    expect((lazy as Error).message).toBe('still no client within 20 ms');
  });

  it('removes its listeners once the event came, an error came, or the deadline passed', async () => {
    const emitter = new EventEmitter();
    const count = (): number => emitter.listenerCount('data') + emitter.listenerCount('error');

    const first = nextEvent(emitter, 'data');
    expect(count()).toBe(2);
    emitter.emit('data', 'x');
    await first;
    expect(count()).toBe(0);

    const second = nextEvent(emitter, 'data');
    emitter.emit('error', new Error('broken'));
    await second.catch(() => {});
    expect(count()).toBe(0);

    await nextEvent(emitter, 'data', { ms: 5 }).catch(() => {});
    expect(count()).toBe(0);
  });
});
