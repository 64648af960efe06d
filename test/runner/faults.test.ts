// `workbook check` end to end on learner code that misbehaves: each fault
// gets one clear verdict, in bounded time, the same on every run, and
// leaves nothing behind (test/fixtures/faults).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureCopy, runCli } from './helpers.ts';

const root = fixtureCopy('faults');

/**
 * Whether a process with this pid still runs. A zombie does not: it was
 * killed, and waits only for init to collect its exit status (its parent,
 * the check, has exited), which init does in its own time (seen: 1 run in 6).
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); // "pid (name) S ...": S is the state
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc (not Linux): kill() said it exists
  }
}

describe('workbook check, when the code under test misbehaves', () => {
  it('says once, with file and line, that the code called process.exit, and skips the rest of the file', async () => {
    const { code, stdout } = await runCli(['check', 'exit-in-handler', '--no-types'], { root });
    expect(code).toBe(1);
    const said = stdout.match(/called process\.exit\(0\)/g) ?? [];
    expect(said.length, stdout).toBe(2); // the verdict, and the one line for the tests it stopped
    expect(stdout).toContain(
      'Your code called process.exit(0) at lessons/01-faults/exit-in-handler.ts:7:15 during "replies "bye" to "hi""',
    );
    expect(stdout).toContain('✗ Task 1 replies "bye" to "greetings"');
    expect(stdout).toContain('Not run: your code called process.exit(0) in an earlier test, which ends the program.');
  });

  it('fails the test that started a promise rejected after it ended, the same way on every run', async () => {
    const runs = await Promise.all([1, 2].map(() => runCli(['check', 'late-rejection', '--no-types'], { root })));
    for (const { code, stdout } of runs) {
      expect(code).toBe(1);
      expect(stdout).toContain('✗ 01 late-rejection: Rejects after its test (1 of 2 tests pass)');
      expect(stdout).toMatch(
        /✗ Task 2 starts a save\n\s+A promise was rejected and nothing caught it .* in code this test started:\n\s+the background save failed\n\s+\(at lessons\/01-faults\/late-rejection\.ts:4:\d+\)/,
      );
    }
    expect(runs[0]!.stdout).toBe(runs[1]!.stdout);
  });

  it('ends the child processes the code started when the check ends', async () => {
    const { stdout } = await runCli(['check', 'spawns-child', '--json'], { root });
    const output: string = JSON.parse(stdout).tests[0].output;
    const pid = Number(/helper pid (\d+)/.exec(output)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid), `the learner's child process ${pid} (sh -c 'sleep 600') outlived the check`).toBe(false);
  });

  it('stops code that uses too much memory and says so, naming the test', async () => {
    const { code, stdout } = await runCli(['check', 'memory-hog', '--no-types'], {
      root,
      env: { WORKBOOK_STALL_MS: '60000' }, // so the memory limit, not the stall limit, stops it
    });
    expect(code).toBe(1);
    expect(stdout).toContain('Your code used more than 512 MB of memory during "keeps 10 lines"');
    // Filling 512 MB and the garbage collector's last tries take about 8 s of
    // CPU: over a minute on a shared 2-core machine (seen at load 30).
  }, 180_000);

  it('says "while loading your file <path>:<line>" for a throw or process.exit at import', async () => {
    const { code, stdout } = await runCli(['check', 'throws-at-import', 'exits-at-import', '--no-types'], { root });
    expect(code).toBe(1);
    expect(stdout).toContain('While loading your file lessons/01-faults/throws-at-import.ts:3:');
    expect(stdout).toContain('no port configured');
    expect(stdout).toContain('While loading your file lessons/01-faults/exits-at-import.ts:2:');
    expect(stdout).toContain('your code called process.exit(1)');
  });

  it('caps what the code printed by lines and characters, and keeps it out of --json', async () => {
    const human = await runCli(['check', 'chatty', '--no-types'], { root });
    expect(human.stdout).toMatch(/x{200}… \(\d+ more characters\)/);
    expect(human.stdout).toContain('… (more output: only the first 64 KiB is kept)');
    expect(human.stdout).not.toContain('raw write to stdout');
    expect(human.stdout.length).toBeLessThan(10_000);
    const json = await runCli(['check', 'chatty', '--json'], { root });
    const results = JSON.parse(json.stdout);
    expect(results.tests[0].output.length).toBeLessThanOrEqual(500);
    expect(json.stdout).not.toContain('raw write');
  });

  it('blames an endless loop on the file that loops, not on the file that imports it', async () => {
    const { code, stdout } = await runCli(['check', 'loop-helper', 'loop-user', '--no-types'], { root });
    expect(code).toBe(1);
    const blamed = stdout.match(/Your code at lessons\/01-faults\/loop-helper\.ts:4:3 \(in sumTo\(\)\)/g) ?? [];
    expect(blamed.length, stdout).toBe(2);
    expect(stdout).not.toContain('loop-user.ts:');
    // Two stall periods of 5 s with their start-up grace, then a fresh run: 40 s at load 30.
  }, 120_000);

  it('fails a server that listens on a fixed port instead of the one the test gives it', async () => {
    const { code, stdout } = await runCli(['check', 'fixed-port', '--no-types'], { root });
    expect(code).toBe(1);
    expect(stdout).toMatch(/your server listened on 127\.0\.0\.1:47811, but the test gave it port \d+/);
  });

  it('the reference solutions pass every one of these exercises', async () => {
    const { code, stdout } = await runCli(['check', '01', '--target', 'solutions', '--no-types'], { root });
    expect(stdout).toContain('10 of 10 exercises pass.');
    expect(code).toBe(0);
    // Ten test files, each in a fresh worker: 47 s at load 30.
  }, 120_000);
});
