// The runner's own cost:
// 1. `workbook check <exercise>` beside a bare `vitest run` of the same test
//    file, interleaved in one run (aim: at most 1.1x, by node and by npx);
// 2. in watch mode, the time from saving a file to the verdict, beside
//    vitest's own watch mode re-running the same test file, in one run
//    (aim: median under 300 ms on a 2-core machine, at most 1.2x vitest's).
// Each figure is printed with its aim and whether this run met it.
// BENCH_ONLY=check|watch runs one half; BENCH_ROUNDS and BENCH_SAVES set the sample sizes.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { median } from './context.ts';

const root = resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 7;
/** GNU time, where present, gives each command's CPU time (steadier than wall time on a shared machine). */
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const CHECK_AIM = 1.1;
const WATCH_RATIO_AIM = 1.2;
const WATCH_MS_AIM = 300;

export default async function runnerBench(): Promise<void> {
  // BENCH_ONLY=check or BENCH_ONLY=watch runs one half.
  const only = process.env.BENCH_ONLY;
  if (only !== 'watch') await checkOverhead();
  if (only !== 'check') await watchLatency();
}

const load = (): string => `load ${loadavg()[0]!.toFixed(2)}`;
const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');

interface Timing {
  wall: number;
  /** User + system CPU time of the command and its children, when GNU time is there. */
  cpu: number | undefined;
}

async function timed(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Timing> {
  const [command, argv] = TIME ? [TIME, ['-f', 'cpu %U %S', file, ...args]] : [file, args];
  const start = performance.now();
  // Failing tests exit 1: the output still counts.
  const { stderr } = await run(command, argv, { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env } }).catch(
    (error: { stderr?: string }) => ({ stderr: error.stderr ?? '' }),
  );
  const wall = performance.now() - start;
  const times = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  return { wall, cpu: times ? (Number(times[1]) + Number(times[2])) * 1000 : undefined };
}

async function checkOverhead(): Promise<void> {
  const test = 'lessons/01-socket-basics/echo-server.test.ts';
  const cache = join(root, '.workbook', 'analysis-cache.json');
  const check = ['bin/workbook.js', 'check', 'echo-server', '--target', 'solutions'];
  const kinds = ['vitest', 'npxVitest', 'npxCheck', 'check', 'checkNoTypes', 'checkColdTypes'] as const;
  const times = Object.fromEntries(kinds.map((k) => [k, [] as Timing[]])) as Record<(typeof kinds)[number], Timing[]>;
  // The same tests against the reference solution: nothing is recorded in the learner's progress.
  const env = { WORKBOOK_TARGET: 'solutions' };
  await timed(process.execPath, check); // warms the disk cache, builds the runner's bundle if it is stale
  for (let i = 0; i < ROUNDS; i++) {
    times.vitest.push(
      await timed(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--project', 'lessons', test], env),
    );
    times.npxVitest.push(await timed('npx', ['vitest', 'run', '--project', 'lessons', test], env));
    times.npxCheck.push(await timed('npx', ['workbook', ...check.slice(1)]));
    times.checkNoTypes.push(await timed(process.execPath, [...check, '--no-types']));
    times.check.push(await timed(process.execPath, check));
    rmSync(cache, { force: true });
    times.checkColdTypes.push(await timed(process.execPath, check));
  }
  const wall = (k: (typeof kinds)[number]): number => median(times[k].map((t) => t.wall));
  const cpu = (k: (typeof kinds)[number]): number | undefined =>
    times[k].every((t) => t.cpu !== undefined) ? median(times[k].map((t) => t.cpu!)) : undefined;
  console.log(`check echo-server beside vitest run of its test file (median of ${ROUNDS}, interleaved, ${load()}):`);
  const row = (label: string, k: (typeof kinds)[number], base?: (typeof kinds)[number], aim?: number): void => {
    const c = cpu(k);
    let line = `  ${label.padEnd(34)} ${wall(k).toFixed(0).padStart(5)} ms${c === undefined ? '' : ` (CPU ${c.toFixed(0)} ms)`}`;
    if (base) {
      const ratio = wall(k) / wall(base);
      const cb = cpu(base);
      line += `   ${ratio.toFixed(2)}x${c !== undefined && cb !== undefined ? ` (CPU ${(c / cb).toFixed(2)}x)` : ''}`;
      line += aim ? `   aim <= ${aim}x: ${verdict(ratio <= aim)}` : "   no aim (the type check parses Node's types)";
    }
    console.log(line);
  };
  console.log('  the same way in, via npx:');
  row('npx vitest run', 'npxVitest');
  row('npx workbook check', 'npxCheck', 'npxVitest', CHECK_AIM);
  console.log('  node directly (no npx start-up), against node vitest.mjs run:');
  row('node vitest.mjs run', 'vitest');
  row('workbook check --no-types', 'checkNoTypes', 'vitest', CHECK_AIM);
  row('workbook check (analysis cached)', 'check', 'vitest', CHECK_AIM);
  row('workbook check (analysis cold)', 'checkColdTypes', 'vitest');
}

async function watchLatency(): Promise<void> {
  // A copy of the workbook, so the learner's files and progress are untouched.
  const copy = mkdtempSync(join(tmpdir(), 'workbook-bench-'));
  try {
    for (const part of ['lessons', 'solutions', 'runner', 'package.json', 'tsconfig.json', 'vitest.config.ts'])
      cpSync(join(root, part), join(copy, part), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    const file = join(copy, 'lessons', '01-socket-basics', 'echo-server.ts');
    // A nearly right answer: without its 'error' listener the server crashes
    // when a client resets, so each save runs the whole file to a failure.
    const almost = readFileSync(join(root, 'solutions', '01-socket-basics', 'echo-server.ts'), 'utf8').replace(
      "socket.on('error', () => socket.destroy());",
      '',
    );
    writeFileSync(file, almost);
    const env = { ...process.env, NO_COLOR: '1', WORKBOOK_ROOT: copy };
    const saves = Number(process.env.BENCH_SAVES) || 15; // three blocks of a third each
    // Interleaved: a block of saves in each, three times, so both see the same load.
    const ours: number[] = [];
    const theirs: number[] = [];
    const theirOutputs: string[] = [];
    for (let block = 0; block < 3; block++) {
      const mine = await saveToVerdict(
        spawn(process.execPath, [join(root, 'bin', 'workbook.js'), 'watch'], { cwd: copy, env }),
        /Watching for saves/,
        file,
        almost,
        saves / 3,
      );
      ours.push(...mine.latencies);
      const vitest = spawn(
        process.execPath,
        [
          join(root, 'node_modules', 'vitest', 'vitest.mjs'),
          'watch',
          '--project',
          'lessons',
          'lessons/01-socket-basics/echo-server.test.ts',
        ],
        { cwd: copy, env: { ...env, CI: '' } },
      );
      const their = await saveToVerdict(vitest, /(Waiting|Watching) for file changes/, file, almost, saves / 3);
      theirs.push(...their.latencies);
      theirOutputs.push(...their.outputs);
    }
    const line = (label: string, xs: number[]): string => {
      const sorted = [...xs].sort((a, b) => a - b);
      return `  ${label.padEnd(24)} median ${median(xs).toFixed(0).padStart(4)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`;
    };
    const ratio = median(ours) / median(theirs);
    console.log(
      `\nwatch: save -> verdict for echo-server (6 tests), ${ours.length} saves each, interleaved (${load()}):`,
    );
    console.log(line("vitest's watch mode", theirs));
    console.log(
      `    (the run of the test file alone, by vitest's own Duration line: median ${vitestDurations(theirOutputs)})`,
    );
    console.log(
      `${line('workbook watch', ours)}   aim < ${WATCH_MS_AIM} ms: ${verdict(median(ours) < WATCH_MS_AIM)}; ` +
        `${ratio.toFixed(2)}x vitest's, aim <= ${WATCH_RATIO_AIM}x: ${verdict(ratio <= WATCH_RATIO_AIM)}`,
    );
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
): Promise<{ latencies: number[]; outputs: string[] }> {
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
    const outputs: string[] = [];
    for (let i = 0; i < count; i++) {
      const from = out.length;
      const start = performance.now();
      writeFileSync(file, `${text}\n// save ${i} ${Math.random()}\n`);
      await verdictAfter(from);
      latencies.push(performance.now() - start);
      outputs.push(out.slice(from));
      await sleep(300); // let the watcher settle between saves, as between a learner's saves
    }
    return { latencies, outputs };
  } finally {
    child.stdin!.write('q\n');
    const exited = new Promise((r) => child.once('exit', r));
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000); // a watcher that ignores q is ended
    await exited;
    clearTimeout(timer);
  }
}

/**
 * The median of vitest's own "Duration 1.37s" line after each re-run: how
 * long the run of the test file itself takes by vitest's clock (from the
 * re-run's start to its end: no debounce, no start-up), whoever starts it.
 */
function vitestDurations(outputs: string[]): string {
  const durations = outputs.flatMap((output) => {
    const line = /Duration\s+([\d.]+)(m?s)/.exec(output);
    return line ? [Number(line[1]) * (line[2] === 's' ? 1000 : 1)] : [];
  });
  return durations.length > 0 ? `${median(durations).toFixed(0)} ms` : 'not found in its output';
}
