// Where a stuck test worker is looping: the runner pauses each worker
// thread through the inspector (which interrupts even a loop that never
// yields) and reads the top of its stack. So a loop in one file is blamed
// on that file, not on every test file that imports it.
import { Session } from 'node:inspector';
import type { Place } from './faults.ts';

interface CallFrame {
  functionName: string;
  url: string;
  location: { lineNumber: number; columnNumber: number };
}

export interface LoopPlace extends Place {
  functionName: string;
}

/**
 * For each worker thread (by threadId), the innermost frame of the learner's
 * code it is running, found within `ms`. Workers that do not answer in time
 * are left out.
 */
export async function findLoops(isLearnerFile: (file: string) => boolean, ms = 2_000): Promise<Map<number, LoopPlace>> {
  const found = new Map<number, LoopPlace>();
  const session = new Session();
  session.connect();
  let id = 0;
  const workers = new Map<string, number>(); // inspector session id -> threadId
  const done = new Promise<void>((resolve) => {
    let expected = 0;
    const timer = setTimeout(resolve, ms);
    const settle = (): void => {
      if (found.size >= expected && expected > 0) {
        clearTimeout(timer);
        resolve();
      }
    };
    session.on('NodeWorker.attachedToWorker', ({ params }) => {
      const { sessionId, workerInfo } = params as unknown as { sessionId: string; workerInfo: { workerId: number } };
      workers.set(sessionId, workerInfo.workerId);
      expected++;
      const send = (method: string): void =>
        session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id: ++id, method }) });
      send('Debugger.enable');
      send('Debugger.pause');
    });
    session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
      const { sessionId, message } = params as { sessionId: string; message: string };
      const parsed = JSON.parse(message) as { method?: string; params?: { callFrames: CallFrame[] } };
      if (parsed.method !== 'Debugger.paused') return;
      const frame = parsed.params!.callFrames.find((f) => isLearnerFile(fileOf(f.url)));
      const thread = workers.get(sessionId);
      if (frame && thread !== undefined)
        found.set(thread, {
          file: fileOf(frame.url),
          line: frame.location.lineNumber + 1,
          column: frame.location.columnNumber + 1,
          functionName: frame.functionName,
        });
      else expected--;
      settle();
    });
  });
  session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  await done;
  session.disconnect();
  return found;
}

function fileOf(url: string): string {
  return url.replace(/^file:\/\//, '').replace(/\?.*$/, '');
}
