// Watch mode's event loop as a unit: a fake checker stands in for vitest, so
// each test decides when a run finishes (or that it never does).
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExerciseResult, Status } from '../../runner/check/verdict.ts';
import { statePath, StateStore } from '../../runner/state.ts';
import { EventQueue } from '../../runner/watch/events.ts';
import { keyActions } from '../../runner/watch/input.ts';
import { type Checker, WatchLoop } from '../../runner/watch/loop.ts';
import { type Exercise, readWorkbook } from '../../runner/workbook.ts';
import { repoRoot } from './helpers.ts';

const workbook = readWorkbook(join(repoRoot, 'test', 'fixtures', 'workbook'));
const lessonDir = workbook.lessons[0]!.dir;

function result(exercise: Exercise, status: Status): ExerciseResult {
  const tests = [{ name: 'does its job', task: exercise.task, status, output: '', message: 'not yet' }];
  return { exercise, status, tests, errors: [], typeWarnings: [], reviewNotes: [], ms: 1 };
}

/** A checker whose runs finish only when the test says so. */
function controlledChecker() {
  const runs: { exercise: Exercise; finish: (status: Status) => void }[] = [];
  const check: Checker = (exercise) =>
    new Promise((resolve) => {
      runs.push({
        exercise,
        finish: (status) => resolve({ result: result(exercise, status), analysis: () => Promise.resolve([]) }),
      });
    });
  return { runs, check };
}

let root: string;
let output: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'workbook-watch-loop-'));
  output = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    output += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

function start(check: Checker) {
  const events = new EventQueue();
  const store = new StateStore(root);
  const loop = new WatchLoop({ workbook, store, events, check, manual: false, redraw: false });
  return { events, store, done: loop.run() };
}

describe('the watch loop', () => {
  it('quits at once on q while a check is stuck', async () => {
    const check = vi.fn<Checker>(() => new Promise(() => {})); // a learner's endless loop: never settles
    const { events, done } = start(check);
    await vi.waitFor(() => expect(check).toHaveBeenCalledTimes(1));
    events.push({ type: 'key', action: 'quit' });
    expect(await done).toBe(0);
  });

  it('owes one more check for saves during a run, and ignores files outside the lesson', async () => {
    const { runs, check } = controlledChecker();
    const { events, done } = start(check);
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    events.push({ type: 'files', paths: [join(lessonDir, 'adder.ts')] });
    events.push({ type: 'files', paths: [join(lessonDir, 'numbers.ts')] });
    events.push({ type: 'files', paths: [join(repoRoot, 'README.md'), join(lessonDir, 'README.md')] });
    runs[0]!.finish('fail');
    await vi.waitFor(() => expect(runs).toHaveLength(2));
    runs[1]!.finish('fail');
    await vi.waitFor(() => expect(output.match(/Watching for saves/g)).toHaveLength(2));
    events.push({ type: 'files', paths: [join(repoRoot, 'README.md')] });
    events.push({ type: 'key', action: 'quit' });
    expect(await done).toBe(0);
    expect(runs).toHaveLength(2);
  });

  it('holds the progress in memory and writes it only when it changes', async () => {
    const { runs, check } = controlledChecker();
    const { events, done } = start(check);
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    runs[0]!.finish('fail');
    await vi.waitFor(() => expect(output).toContain('Watching for saves'));
    expect(existsSync(statePath(root))).toBe(false); // nothing changed: nothing written

    events.push({ type: 'key', action: 'check' });
    await vi.waitFor(() => expect(runs).toHaveLength(2));
    runs[1]!.finish('pass');
    await vi.waitFor(() => expect(runs).toHaveLength(3)); // moved on to the next exercise
    expect(runs[2]!.exercise.name).toBe('wrong-bytes');
    expect(JSON.parse(readFileSync(statePath(root), 'utf8')).done).toEqual(['01-fixture/adder']);
    const written = statSync(statePath(root)).ino; // each write renames a new file into place

    runs[2]!.finish('fail');
    await vi.waitFor(() => expect(output.match(/Watching for saves/g)).toHaveLength(2));
    expect(statSync(statePath(root)).ino).toBe(written);
    events.push({ type: 'key', action: 'interrupt' });
    expect(await done).toBe(130);
  });

  it('ends with 0 once every exercise passes', async () => {
    const check: Checker = async (exercise) => ({
      result: result(exercise, 'pass'),
      analysis: () => Promise.resolve([]),
    });
    const { done } = start(check);
    expect(await done).toBe(0);
    expect(output).toContain('Every exercise passes.');
  });
});

describe('watch keys', () => {
  it('maps single key presses to actions', () => {
    expect(keyActions('q')).toEqual(['quit']);
    expect(keyActions('h')).toEqual(['hint']);
    expect(keyActions('l')).toEqual(['list']);
    expect(keyActions('\r')).toEqual(['check']);
    expect(keyActions('\x03')).toEqual(['interrupt']);
  });

  it('reads "\\r\\n" as one Enter, ignores arrow keys and other letters', () => {
    expect(keyActions('\r\n')).toEqual(['check']);
    expect(keyActions('\x1b[A')).toEqual([]);
    expect(keyActions('xyz')).toEqual([]);
    expect(keyActions('hq\n')).toEqual(['hint', 'quit', 'check']);
  });
});
