// Bootstrap of the analysis worker thread: loads runner/check/analysis.ts the
// way bin/workbook.js loads the CLI (a bundle, or tsx when there is none;
// worker threads do not inherit the main thread's module loading).
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import { importRunner } from '../../bin/load-runner.js';

// In watch mode this thread runs at a lower priority than the tests (Linux:
// nice 10), so that a cold type check (a second or more of CPU) never delays
// a verdict. Not for a single check, which waits for both anyway: there a
// low priority would only let other programs on the machine delay it.
if (workerData.background) {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 10);
  } catch {
    // not Linux: the same priority as the rest
  }
}

await importRunner('analysis');
