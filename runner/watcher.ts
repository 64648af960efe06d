// The one file watcher, for `workbook watch` (re-check on save) and
// `workbook serve` (rebuild the site on save). It is chokidar 4: it
// watches each folder with a plain fs.watch, so it behaves the same on
// Linux (where Node's recursive fs.watch misses folders created later on
// older versions), macOS and Windows; it follows folders added while it
// runs and reports a file that does not exist yet once it appears.
// On top of it: a debounce, because an editor's save is several events
// (truncate, write, rename, chmod) and should cause one re-check.
import { type FSWatcher, watch } from 'chokidar';

export interface WatchOptions {
  /** Only files for which this is true count as changes (default: every file). */
  accept?: (file: string) => boolean;
  /** Only folders for which this is true are walked (default: every folder). */
  enter?: (dir: string) => boolean;
  /** Quiet time after the last event before `onChange` is called. */
  debounceMs?: number;
  onChange: (paths: string[]) => void;
  onError?: (error: Error) => void;
}

export interface FileWatcher {
  /** Resolves once the initial scan is done: changes after this are reported. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Editors save in several steps (truncate and write, or write a copy and
 * rename it), all within a few milliseconds; 20 ms joins them. A save that
 * still splits only costs one more run: a change during a run asks for
 * another (runner/watch/loop.ts).
 */
export const DEFAULT_DEBOUNCE_MS = 20;

/**
 * Watches the folders `dirs` (they must exist: chokidar 4 reports 'ready'
 * before its first scan when given a missing path) and calls `onChange`
 * with the files changed, added or removed, once they have been quiet for
 * `debounceMs`.
 */
export function watchFiles(dirs: string[], options: WatchOptions): FileWatcher {
  const { accept = () => true, enter = () => true, debounceMs = DEFAULT_DEBOUNCE_MS, onChange, onError } = options;
  const roots = new Set(dirs);
  const watcher: FSWatcher = watch(dirs, {
    ignoreInitial: true,
    // chokidar asks first without stats, then with them.
    ignored: (path, stats) => {
      if (roots.has(path)) return false;
      if (!stats) return !(enter(path) || accept(path));
      return stats.isDirectory() ? !enter(path) : !accept(path);
    },
  });
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const flush = (): void => {
    timer = undefined;
    if (closed || pending.size === 0) return;
    const changed = [...pending];
    pending.clear();
    onChange(changed);
  };
  watcher.on('all', (_event, path) => {
    pending.add(path);
    clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  });
  watcher.on('error', (error) => onError?.(error instanceof Error ? error : new Error(String(error))));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
