// Where a stuck test worker is looping: the runner pauses each worker
// thread through the inspector (which interrupts even a loop that never
// yields) and reads the top of its stack. So a loop in one file is blamed
// on that file, not on every test file that imports it.
import { Session } from 'node:inspector';
import { DecodedMap, getOriginalPosition } from '@vitest/utils/source-map';
import type { Place } from './faults.ts';

interface CallFrame {
  functionName: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

interface Script {
  url: string;
  sourceMapURL?: string;
}

export interface LoopPlace extends Place {
  functionName: string;
}

/**
 * For each test file a worker thread is stuck in, the innermost frame of
 * the learner's code it is running, found within `ms`. Workers that do not answer in time
 * are left out.
 */
export async function findLoops(isLearnerFile: (file: string) => boolean, ms = 2_000): Promise<Map<string, LoopPlace>> {
  const found = new Map<string, LoopPlace>();
  const session = new Session();
  session.connect();
  let id = 0;
  const workers = new Set<string>(); // inspector session ids
  const scripts = new Map<string, Script>(); // per worker session: scriptId -> script
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
      const { sessionId } = params as unknown as { sessionId: string };
      workers.add(sessionId);
      expected++;
      const send = (method: string): void =>
        session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id: ++id, method }) });
      send('Debugger.enable');
      send('Debugger.pause');
    });
    session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
      const { sessionId, message } = params as { sessionId: string; message: string };
      const parsed = JSON.parse(message) as { method?: string; params?: Record<string, unknown> };
      if (parsed.method === 'Debugger.scriptParsed') {
        const script = parsed.params as unknown as Script & { scriptId: string };
        scripts.set(`${sessionId}/${script.scriptId}`, { url: fileOf(script.url), sourceMapURL: script.sourceMapURL });
        return;
      }
      if (parsed.method !== 'Debugger.paused') return;
      const frames = (parsed.params as { callFrames: CallFrame[] }).callFrames;
      const scriptOf = (f: CallFrame) => scripts.get(`${sessionId}/${f.location.scriptId}`);
      const frame = frames.find((f) => isLearnerFile(scriptOf(f)?.url ?? ''));
      // The test file running the loop is further down the same stack.
      const testFile = frames.map((f) => scriptOf(f)?.url ?? '').find((url) => url.endsWith('.test.ts'));
      if (frame && testFile)
        found.set(testFile, { ...original(scriptOf(frame)!, frame), functionName: frame.functionName });
      else expected--;
      settle();
    });
  });
  session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  await done;
  // Let the workers go (they are stopped next) and detach from them.
  for (const sessionId of workers) {
    for (const method of ['Debugger.resume', 'Debugger.disable'])
      session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id: ++id, method }) });
    session.post('NodeWorker.detach', { sessionId });
  }
  session.post('NodeWorker.disable');
  session.disconnect();
  return found;
}

/** The frame's place in the learner's source (the code that runs is transformed; its source map says where). */
function original(script: Script, frame: CallFrame): Place {
  const line = frame.location.lineNumber + 1;
  const column = frame.location.columnNumber;
  const inline = /^data:application\/json;(?:charset=utf-8;)?base64,(.*)$/.exec(script.sourceMapURL ?? '');
  if (inline) {
    try {
      const map = new DecodedMap(JSON.parse(Buffer.from(inline[1]!, 'base64').toString('utf8')), script.url);
      const position = getOriginalPosition(map, { line, column });
      if (position?.line != null) return { file: script.url, line: position.line, column: (position.column ?? 0) + 1 };
    } catch {
      // fall back to the transformed position
    }
  }
  return { file: script.url, line, column: column + 1 };
}

function fileOf(url: string): string {
  return url.replace(/^file:\/\//, '').replace(/\?.*$/, '');
}
