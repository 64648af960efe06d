// The runner's side of runner/check/faults.ts: what the test workers said
// during one run, and the child processes still to end.
import { isAbsolute, relative, sep } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import { FAULT_CHANNEL, type FaultMessage, type Place } from './faults.ts';

export interface ExitCall {
  test: string | undefined;
  code: number;
  /** Where the learner's code called process.exit, when its file is known. */
  place: Place | undefined;
}

export class FaultLog {
  readonly #channel = new BroadcastChannel(FAULT_CHANNEL);
  /** The first process.exit() call per test file. */
  readonly exits = new Map<string, ExitCall>();
  /** The last test started per test file: the one running when its worker died. */
  readonly running = new Map<string, string>();
  /** The test file each worker thread runs. */
  readonly fileOfThread = new Map<number, string>();
  readonly #children = new Set<number>();
  /** The files each test file's run loaded, by test file; null when a worker could not tell. */
  readonly #loaded = new Map<string, Set<string>>();
  #loadsUnknown = false;

  /** `onMessage`: each message as it comes (any shows the worker that sent it is not stuck). */
  constructor(
    private readonly isLearnerFile: (file: string) => boolean,
    onMessage: (message: FaultMessage) => void = () => {},
  ) {
    this.#channel.onmessage = (event) => {
      const message = (event as unknown as { data: FaultMessage }).data;
      onMessage(message);
      this.#take(message);
    };
  }

  #take(message: FaultMessage): void {
    switch (message.kind) {
      case 'test':
        this.running.set(message.testFile, message.test);
        this.fileOfThread.set(message.thread, message.testFile);
        break;
      case 'exit':
        if (!this.exits.has(message.testFile))
          this.exits.set(message.testFile, {
            test: message.test,
            code: message.code,
            place: firstPlace(message.stack, this.isLearnerFile),
          });
        break;
      case 'child':
        this.#children.add(message.pid);
        break;
      case 'child-exit':
        this.#children.delete(message.pid);
        break;
      case 'module':
        if (message.file === null) this.#loadsUnknown = true;
        else this.#loaded.set(message.testFile, (this.#loaded.get(message.testFile) ?? new Set()).add(message.file));
        break;
    }
  }

  /**
   * Whether a test file's run loaded a file of `targetDir` from another
   * lesson folder than its own (or a worker could not tell what it loaded):
   * then a lesson's results depend on more than its own files.
   */
  loadedAcrossLessons(targetDir: string, testsDir: string): boolean {
    if (this.#loadsUnknown) return true;
    for (const [testFile, files] of this.#loaded) {
      const lesson = relative(testsDir, testFile).split(sep)[0];
      for (const file of files) {
        const rel = relative(targetDir, file);
        if (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== lesson) return true;
      }
    }
    return false;
  }

  /** Ends every process group the learner's code started that is still alive. */
  endChildren(): void {
    for (const pid of this.#children) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already ended
      }
    }
    this.#children.clear();
  }

  close(): void {
    this.endChildren();
    this.#channel.close();
  }
}

/** The first stack frame in a learner's file. */
export function firstPlace(stack: string, isLearnerFile: (file: string) => boolean): Place | undefined {
  for (const match of stack.matchAll(/\(?((?:file:\/\/)?\/[^():\s]+):(\d+):(\d+)\)?$/gm)) {
    const file = match[1]!.replace(/^file:\/\//, '');
    if (isLearnerFile(file)) return { file, line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}
