import { defineCommand } from '../command.ts';
import { formatWarnings } from '../check/report.ts';
import { CheckSession } from '../check/session.ts';
import { say, style } from '../output.ts';
import { StateStore } from '../state.ts';
import { EventQueue } from '../watch/events.ts';
import { readKeys } from '../watch/input.ts';
import { type Checker, WatchLoop } from '../watch/loop.ts';
import { type FileWatcher, watchFiles } from '../watcher.ts';
import { type Workbook, loadWorkbook } from '../workbook.ts';

/** How long quitting waits for the test workers to close before leaving them to process exit. */
const CLOSE_GRACE_MS = 2_000;

export default defineCommand({
  name: 'watch',
  summary: 'Re-check your current exercise each time you save, and move on when it passes.',
  usage: 'npx workbook watch [--manual]',
  options: {
    manual: {
      type: 'boolean',
      description: 'do not watch files; press Enter to re-check (for file systems where watching fails)',
    },
  },
  footer: 'Keys (one press, no Enter needed): Enter = re-check, h = hint, l = list, q = quit.',
  async run({ values }) {
    return watchWorkbook(loadWorkbook(), { manual: values.manual });
  },
});

/** Checks the current exercise, then re-checks on every save until the learner quits. */
export async function watchWorkbook(workbook: Workbook, { manual }: { manual: boolean }): Promise<number> {
  const session = new CheckSession({ workbook, targetDir: workbook.lessonsDir, typecheck: true, watching: true });
  const events = new EventQueue();
  const check: Checker = async (exercise) => {
    const [result] = await session.test([exercise]);
    // The type check and review start once the verdict is in, so that they
    // never slow it down; the loop shows their warnings when they come.
    return {
      result: result!,
      analysis: () => session.analyse([exercise]).then(([found]) => formatWarnings(found!.types, found!.notes)),
    };
  };
  const loop = new WatchLoop({
    workbook,
    store: new StateStore(workbook.root),
    events,
    check,
    manual,
    redraw: process.stdout.isTTY === true,
  });

  const keys = readKeys(
    process.stdin,
    (action) => events.push({ type: 'key', action }),
    () => events.push({ type: 'input-closed' }),
  );
  const onResize = (): void => events.push({ type: 'resize' });
  const onSignal = (): void => events.push({ type: 'key', action: 'interrupt' });
  process.stdout.on('resize', onResize);
  process.once('SIGINT', onSignal);
  let watcher: FileWatcher | undefined;
  if (!manual) {
    watcher = watchFiles([workbook.lessonsDir], {
      accept: (file) => file.endsWith('.ts'),
      onChange: (paths) => events.push({ type: 'files', paths }),
      onError: (error) =>
        say(style.yellow(`Watching files stopped working (${error.message}); press Enter to re-check by hand.`)),
    });
    await watcher.ready;
  }
  try {
    return await loop.run();
  } finally {
    keys.stop();
    process.stdout.off('resize', onResize);
    process.off('SIGINT', onSignal);
    await watcher?.close();
    // A check may be stuck in a learner's endless loop: abort it, and do not wait for it.
    session.abort();
    // The CLI exits right after this, which ends any worker still running.
    await Promise.race([session.close(), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
  }
}
