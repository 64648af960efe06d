// What every benchmark prints first: the machine the figures came from.
// Figures from a shared, noisy machine mean little alone; compare ratios
// measured in the same run.
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export function machineContext(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return [
    `node ${process.version} on ${process.platform}/${process.arch}`,
    `${availableParallelism()} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory`,
    `load average ${load}`,
  ].join('\n');
}

/** The median of some numbers (of a copy; the input is left alone). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `fn` `times` times and returns each run's wall time in milliseconds. */
export async function timeRuns(times: number, fn: () => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await fn();
    out.push(performance.now() - start);
  }
  return out;
}
