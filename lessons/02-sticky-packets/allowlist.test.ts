import { describe, expect, it, vi } from 'vitest';
import { type Allowlist, CommandRefusedError, QUOTE_LIMIT, lookupCommand, quote } from './allowlist.ts';

// The requests below would be dangerous if a shell ever ran them. A lookup
// never starts a process, so for this file every way to start one is
// replaced by a function that refuses and records the attempt. A mistake in
// your code fails a test; it cannot touch your files.
const started = vi.hoisted(() => [] as string[]);
vi.mock('node:child_process', () => {
  const refuse =
    (name: string) =>
    (...args: unknown[]): never => {
      started.push(`${name}(${JSON.stringify(args[0])})`);
      throw new Error(`a task 3 test stopped ${name}(): looking a command up must never start a process`);
    };
  const api = Object.fromEntries(['exec', 'execSync', 'execFile', 'execFileSync', 'spawn', 'spawnSync', 'fork'].map((n) => [n, refuse(n)]));
  return { ...api, default: api };
});

const allowlist: Allowlist = {
  hello: [process.execPath, '-e', 'console.log("hello")'],
  foobar: [process.execPath, '-e', 'console.log("foobar")'],
  'disk-free': ['/bin/df', '-h'],
};

/** Expects `command` to be refused with exactly the message `unknown command <quoted>`. */
function expectRefused(command: string, quoted: string): void {
  let thrown: unknown;
  let argv: unknown;
  try {
    argv = lookupCommand(command, allowlist);
  } catch (error) {
    thrown = error;
  }
  expect(argv, `${JSON.stringify(command)} is not a command name: lookupCommand must throw, not return ${JSON.stringify(argv)}`).toBeUndefined();
  expect(thrown, `${JSON.stringify(command)} must be refused with a CommandRefusedError`).toBeInstanceOf(CommandRefusedError);
  expect((thrown as Error).message).toBe(`unknown command ${quoted}`);
}

describe('Task 3: look commands up in an allowlist', () => {
  it('returns the fixed argv for a name in the allowlist', () => {
    expect(lookupCommand('hello', allowlist)).toEqual([process.execPath, '-e', 'console.log("hello")']);
    expect(lookupCommand('disk-free', allowlist)).toEqual(['/bin/df', '-h']);
  });

  it.each([
    ['ls; rm -rf /', '"ls; rm -rf /"'],
    ['$(id)', '"$(id)"'],
    ['`id`', '"`id`"'],
    ['hello && id', '"hello && id"'],
    ['hello | id', '"hello | id"'],
  ])('refuses the shell trick %j', (command, quoted) => {
    expectRefused(command, quoted);
  });

  it('refuses "foobar; rm -rf ~" although "foobar" is allowed (the bypass in Beej\'s FAQ)', () => {
    expectRefused('foobar; rm -rf ~', '"foobar; rm -rf ~"');
  });

  it.each([
    ['hello ', '"hello "'],
    [' hello', '" hello"'],
    ['HELLO', '"HELLO"'],
    ['hello\r', '"hello\\r"'],
    ['hell', '"hell"'],
    ['', '""'],
  ])('refuses %j: a name must match exactly, with no trimming', (command, quoted) => {
    expectRefused(command, quoted);
  });

  it.each([
    ['constructor', '"constructor"'],
    ['__proto__', '"__proto__"'],
    ['toString', '"toString"'],
    ['hasOwnProperty', '"hasOwnProperty"'],
  ])('refuses %j, which every object inherits but no one allowed', (command, quoted) => {
    expectRefused(command, quoted);
  });

  it('never starts a process, whatever it is asked', () => {
    const refused: string[] = [];
    for (const command of ['ls; rm -rf /', '$(id)', '`id`', 'foobar; rm -rf ~']) {
      try {
        lookupCommand(command, allowlist);
      } catch (error) {
        if (error instanceof CommandRefusedError) refused.push(command);
      }
    }
    expect(refused, 'each of these must be refused with a CommandRefusedError').toHaveLength(4);
    expect(lookupCommand('hello', allowlist)[0]).toBe(process.execPath);
    expect(started, 'lookupCommand tried to start a process').toEqual([]);
  });
});

describe('Task 3: quote a refused command safely', () => {
  it('puts the text in double quotes, escaping quotes, backslashes and control characters', () => {
    expect(quote('say "hi"')).toBe('"say \\"hi\\""');
    expect(quote('a\\b')).toBe('"a\\\\b"');
    expect(quote('tab\there\u001b[31m')).toBe('"tab\\there\\u001b[31m"');
  });

  it('keeps non-ASCII text as it is', () => {
    expect(quote('你好')).toBe('"你好"');
  });

  it(`keeps at most ${QUOTE_LIMIT} characters and marks the cut with "..."`, () => {
    expect(quote('x'.repeat(QUOTE_LIMIT))).toBe(`"${'x'.repeat(QUOTE_LIMIT)}"`);
    expect(quote('x'.repeat(QUOTE_LIMIT + 1))).toBe(`"${'x'.repeat(QUOTE_LIMIT)}"...`);
    expect(quote('y'.repeat(5000)).length, 'a 5000-character command must not make a 5000-character message').toBe(QUOTE_LIMIT + 5);
  });

  it('counts characters, not UTF-16 units, so a cut never splits an emoji', () => {
    const emoji = '😀'.repeat(QUOTE_LIMIT + 1); // each is two UTF-16 units
    expect(quote(emoji)).toBe(`"${'😀'.repeat(QUOTE_LIMIT)}"...`);
  });

  it('is what lookupCommand quotes in its refusal', () => {
    expectRefused('z'.repeat(100), `"${'z'.repeat(QUOTE_LIMIT)}"...`);
  });
});
