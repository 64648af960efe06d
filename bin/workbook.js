#!/usr/bin/env node
// Entry point of the `workbook` CLI. It is plain JavaScript so that it runs
// without a build step: it registers tsx's loader, then runs the TypeScript CLI.
import { register } from 'tsx/esm/api';

// Commands that run tests load vitest. Loading it before tsx's hooks are in
// place keeps its hundreds of modules off the hooks' path (measured: 0.17 s
// instead of 0.6 s), which is most of the runner's start-up time.
const testing = new Set([undefined, 'start', 'check', 'watch', '--manual']);
if (testing.has(process.argv[2]) && !process.argv.includes('--help')) {
  await Promise.all([import('vitest/node'), import('esbuild')]);
}

register();
const { main } = await import('../runner/cli.ts');
const code = await main(process.argv.slice(2));
// Exit now rather than wait for the event loop to drain: a learner's program
// may have left a socket or timer open in this process. But first let
// standard output and error flush: a write to a pipe can still be pending
// (a results.json of 700 KB was cut at 64 KiB without this).
const flushed = (stream) => new Promise((resolve) => stream.write('', () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
