// The runner's own cost:
// 1. `workbook check <exercise>` beside a bare `vitest run` of the same test
//    file, interleaved in one run (aim: at most 1.2x);
// 2. in watch mode, the time from saving a file to the verdict, beside
//    vitest's own watch mode re-running the same test file, in one run
//    (aim: median under 300 ms on a 2-core machine, at most 1.2x vitest's).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { median } from './context.ts';

const root = resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 7;

export default async function runnerBench(): Promise<void> {
  // BENCH_ONLY=check or BENCH_ONLY=watch runs one half.
  const only = process.env.BENCH_ONLY;
  if (only !== 'watch') await checkOverhead();
  if (only !== 'check') await watchLatency();
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
    for (const part of ['lessons', 'solutions', 'runner', 'package.json', 'tsconfig.json', 'vitest.config.ts'])
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
    const env = { ...process.env, NO_COLOR: '1', WORKBOOK_ROOT: copy };
    const saves = 15;
    // Interleaved: a block of saves in each, three times, so both see the same load.
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let block = 0; block < 3; block++) {
      ours.push(
        ...(await saveToVerdict(
          spawn(process.execPath, [join(root, 'bin', 'workbook.js'), 'watch'], { cwd: copy, env }),
          /Watching for saves/,
          file,
          almost,
          saves / 3,
        )),
      );
      theirs.push(
        ...(await saveToVerdict(
          spawn(
            process.execPath,
            [
              join(root, 'node_modules', 'vitest', 'vitest.mjs'),
              'watch',
              '--project',
              'lessons',
              'lessons/01-socket-basics/echo-server.test.ts',
            ],
            { cwd: copy, env: { ...env, CI: '' } },
          ),
          /(Waiting|Watching) for file changes/,
          file,
          almost,
          saves / 3,
        )),
      );
    }
    const line = (label: string, xs: number[], base?: number[]): void => {
      const sorted = [...xs].sort((a, b) => a - b);
      const ratio = base ? `   ${(median(xs) / median(base)).toFixed(2)}x` : '';
      console.log(
        `  ${label.padEnd(24)} median ${median(xs).toFixed(0).padStart(4)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms${ratio}`,
      );
    };
    console.log(`\nwatch: save -> verdict for echo-server (5 tests), ${ours.length} saves each, interleaved:`);
    line("vitest's watch mode", theirs);
    line('workbook watch', ours, theirs);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** Starts a watcher, waits for its first verdict, then times `count` saves of `file` until the next one each. */
async function saveToVerdict(
  child: ChildProcess,
  done: RegExp,
  file: string,
  text: string,
  count: number,
): Promise<number[]> {
  let out = '';
  let waiting: (() => void) | undefined;
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    waiting?.();
  });
  const verdictAfter = async (from: number, limitMs = 60_000): Promise<void> => {
    const deadline = performance.now() + limitMs;
    while (!done.test(out.slice(from))) {
      if (performance.now() > deadline) throw new Error(`no verdict within ${limitMs} ms:\n${out.slice(from)}`);
      await new Promise<void>((r) => {
        waiting = r;
        setTimeout(r, 100).unref(); // a poll bound, in case output arrives in pieces
      });
    }
  };
  try {
    await verdictAfter(0);
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) {
      const from = out.length;
      const start = performance.now();
      writeFileSync(file, `${text}\n// save ${i} ${Math.random()}\n`);
      await verdictAfter(from);
      latencies.push(performance.now() - start);
      await sleep(300); // let the watcher settle between saves, as between a learner's saves
    }
    return latencies;
  } finally {
    child.stdin!.write('q\n');
    const exited = new Promise((r) => child.once('exit', r));
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000); // a watcher that ignores q is ended
    await exited;
    clearTimeout(timer);
  }
}
