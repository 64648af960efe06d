// Keys for watch mode. On a terminal, stdin goes to raw mode so that one key
// press acts at once (q, h, l, Enter), with no Enter needed after it; Ctrl-C
// then arrives as a byte, not a signal. From a pipe, each byte is a key too,
// so 'q\n' quits. Whatever ends the process (q, Ctrl-C, a crash, a killed
// worker), the terminal gets its cooked mode and its cursor back: the
// restore runs on process exit as well as on stop().
import type { KeyAction } from './events.ts';

const KEYS: Record<string, KeyAction> = {
  q: 'quit',
  Q: 'quit',
  h: 'hint',
  H: 'hint',
  l: 'list',
  L: 'list',
  '\r': 'check',
  '\n': 'check',
  '\x03': 'interrupt', // Ctrl-C in raw mode
  '\x04': 'quit', // Ctrl-D in raw mode
};

/** The actions in a chunk of input; escape sequences (arrow keys...) are ignored. */
export function keyActions(chunk: string): KeyAction[] {
  if (chunk.startsWith('\x1b')) return [];
  const actions: KeyAction[] = [];
  for (const ch of chunk) {
    const action = KEYS[ch];
    // "\r\n" from a terminal that sends both is one Enter.
    if (action === 'check' && ch === '\n' && actions.at(-1) === 'check') continue;
    if (action) actions.push(action);
  }
  return actions;
}

export interface KeyInput {
  /** Stops reading keys and restores the terminal. Safe to call twice. */
  stop(): void;
}

const SHOW_CURSOR = '\x1b[?25h';

export function readKeys(
  stdin: NodeJS.ReadStream,
  onAction: (action: KeyAction) => void,
  onClose: () => void,
): KeyInput {
  const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  let stopped = false;
  const restore = (): void => {
    if (raw) stdin.setRawMode(false);
    if (process.stdout.isTTY) process.stdout.write(SHOW_CURSOR);
  };
  const onData = (chunk: Buffer | string): void => {
    for (const action of keyActions(chunk.toString())) onAction(action);
  };
  const onEnd = (): void => onClose();
  if (raw) stdin.setRawMode(true);
  process.once('exit', restore);
  stdin.on('data', onData);
  stdin.once('end', onEnd);
  stdin.resume();
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
      process.off('exit', restore);
      restore();
    },
  };
}
