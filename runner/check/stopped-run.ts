// What a run stopped by a stall or a dead worker leaves: the files that
// finished (their verdicts are kept), the stuck ones (they get the stall's
// or the death's verdict), and the rest (they run again in a fresh vitest).
import type { TestModule } from 'vitest/node';

export interface StoppedRun {
  finished: TestModule[];
  stuck: string[];
  rerun: string[];
}

/** `modules` are the run's test modules for `pending`; `culprit` is the file a dead worker was running, if known. */
export function sortStopped(modules: TestModule[], pending: string[], culprit: string | undefined): StoppedRun {
  const finished = modules.filter((m) => m.state() === 'passed' || m.state() === 'failed');
  const started = modules.filter((m) => !finished.includes(m) && m.state() !== 'queued').map((m) => m.moduleId);
  const unfinished = pending.filter((f) => !finished.some((m) => m.moduleId === f));
  const stuck = culprit ? [culprit] : started.length > 0 ? started : unfinished;
  return { finished, stuck, rerun: unfinished.filter((f) => !stuck.includes(f)) };
}
