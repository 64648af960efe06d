#!/usr/bin/env node
// Entry point of the `workbook` CLI. It is plain JavaScript so that it runs
// without a build step: it registers tsx's loader, then runs the TypeScript CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../runner/cli.ts');
process.exitCode = await main(process.argv.slice(2));
