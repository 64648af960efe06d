// Bootstrap of the analysis worker thread: loads runner/check/analysis.ts the
// way bin/workbook.js loads the CLI (a bundle, or tsx when there is none;
// worker threads do not inherit the main thread's module loading).
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { importRunner } from '../../bin/load-runner.js';

// This thread runs at a lower priority than the tests (Linux: nice 10), so
// that a cold type check (a second or more of CPU) never delays a verdict.
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 10);
} catch {
  // not Linux: the same priority as the rest
}

await importRunner('analysis');
