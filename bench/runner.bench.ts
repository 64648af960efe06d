// The runner's own cost:
// 1. `workbook check <exercise>` beside a bare `vitest run` of the same test
//    file, interleaved in one run (aim: at most 1.2x);
// 2. in watch mode, the time from saving a file to the verdict (aim: median
//    under 300 ms on a 2-core machine).
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { median } from './context.ts';

const root = resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const ROUNDS = 7;

export default async function runnerBench(): Promise<void> {
  await checkOverhead();
  await watchLatency();
}

async function wall(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const start = performance.now();
  await run(file, args, { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env } }).catch(() => {}); // failing tests exit 1
  return performance.now() - start;
}

async function checkOverhead(): Promise<void> {
  const test = 'lessons/01-socket-basics/echo-server.test.ts';
  const cache = join(root, '.workbook', 'analysis-cache.json');
  const times: Record<string, number[]> = {
    vitest: [],
    npxVitest: [],
    npxCheck: [],
    check: [],
    checkNoTypes: [],
    checkColdTypes: [],
  };
  // The same tests against the reference solution: nothing is recorded in the learner's progress.
  const env = { WORKBOOK_TARGET: 'solutions' };
  await wall(process.execPath, ['bin/workbook.js', 'check', 'echo-server', '--target', 'solutions']); // warm the disk cache
  for (let i = 0; i < ROUNDS; i++) {
    times.vitest!.push(
      await wall(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--project', 'lessons', test], env),
    );
    times.npxVitest!.push(await wall('npx', ['vitest', 'run', '--project', 'lessons', test], env));
    times.npxCheck!.push(await wall('npx', ['workbook', 'check', 'echo-server', '--target', 'solutions']));
    times.checkNoTypes!.push(
      await wall(process.execPath, ['bin/workbook.js', 'check', 'echo-server', '--target', 'solutions', '--no-types']),
    );
    times.check!.push(
      await wall(process.execPath, ['bin/workbook.js', 'check', 'echo-server', '--target', 'solutions']),
    );
    rmSync(cache, { force: true });
    times.checkColdTypes!.push(
      await wall(process.execPath, ['bin/workbook.js', 'check', 'echo-server', '--target', 'solutions']),
    );
  }
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<string, number>;
  console.log(`check echo-server vs vitest run of its test file (median of ${ROUNDS}, interleaved):`);
  const row = (label: string, ms: number, base?: number): void =>
    console.log(`  ${label.padEnd(32)} ${ms.toFixed(0).padStart(5)} ms${base ? `   ${(ms / base).toFixed(2)}x` : ''}`);
  console.log('  the same way in, via npx:');
  row('npx vitest run', m.npxVitest!);
  row('npx workbook check', m.npxCheck!, m.npxVitest);
  console.log('  node directly (no npx start-up), against node vitest.mjs run:');
  row('node vitest.mjs run', m.vitest!);
  row('workbook check --no-types', m.checkNoTypes!, m.vitest);
  row('workbook check (analysis cached)', m.check!, m.vitest);
  row('workbook check (analysis cold)', m.checkColdTypes!, m.vitest);
}

async function watchLatency(): Promise<void> {
  // A copy of the workbook, so the learner's files and progress are untouched.
  const copy = mkdtempSync(join(tmpdir(), 'workbook-bench-'));
  try {
    for (const part of ['lessons', 'solutions', 'runner', 'package.json', 'tsconfig.json'])
      cpSync(join(root, part), join(copy, part), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    const file = join(copy, 'lessons', '01-socket-basics', 'echo-server.ts');
    // A nearly right answer: four tests pass, the ECONNRESET one fails, so
    // every save runs the whole file.
    const almost = readFileSync(join(root, 'solutions', '01-socket-basics', 'echo-server.ts'), 'utf8').replace(
      "socket.on('error', () => socket.destroy());",
      '',
    );
    writeFileSync(file, almost);

    const child = spawn(process.execPath, [join(root, 'bin', 'workbook.js'), 'watch'], {
      cwd: copy,
      env: { ...process.env, NO_COLOR: '1', WORKBOOK_ROOT: copy },
    });
    let out = '';
    let waiting: (() => void) | undefined;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      waiting?.();
    });
    const verdictAfter = async (from: number, limitMs = 30_000): Promise<void> => {
      const deadline = performance.now() + limitMs;
      while (!/Watching for saves/.test(out.slice(from))) {
        if (performance.now() > deadline) throw new Error(`no verdict within ${limitMs} ms:\n${out.slice(from)}`);
        await new Promise<void>((r) => {
          waiting = r;
          setTimeout(r, 100).unref();
        });
      }
    };
    await verdictAfter(0);
    const latencies: number[] = [];
    for (let i = 0; i < 15; i++) {
      const from = out.length;
      const start = performance.now();
      writeFileSync(file, `${almost}\n// save ${i}\n`);
      await verdictAfter(from);
      latencies.push(performance.now() - start);
      await sleep(200); // let the watcher settle between saves, as between a learner's saves
    }
    child.stdin.write('q\n');
    await new Promise((r) => child.on('exit', r));
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(`\nwatch: save -> verdict for echo-server (5 tests), ${latencies.length} saves:`);
    console.log(
      `  median ${median(latencies).toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (includes the ${40} ms debounce)`,
    );
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
