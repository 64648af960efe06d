#!/usr/bin/env node
// Entry point of the `workbook` CLI. It is plain JavaScript so that it runs
// without a build step: it loads the TypeScript CLI (runner/cli.ts) as a
// bundle that is rebuilt whenever its sources change (bin/load-runner.js).
import { importRunner } from './load-runner.js';

const { main } = await importRunner('cli');
const code = await main(process.argv.slice(2));
// Exit now rather than wait for the event loop to drain: a learner's program
// may have left a socket or timer open in this process. But first let
// standard output and error flush: a write to a pipe can still be pending
// (a results.json of 700 KB was cut at 64 KiB without this).
const flushed = (stream) => new Promise((resolve) => stream.write('', () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
