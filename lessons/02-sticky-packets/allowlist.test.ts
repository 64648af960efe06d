import { inspect } from 'node:util';
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
  const api = Object.fromEntries(
    ['exec', 'execSync', 'execFile', 'execFileSync', 'spawn', 'spawnSync', 'fork'].map((n) => [n, refuse(n)]),
  );
  return { ...api, default: api };
});

const allowlist: Allowlist = {
  hello: [process.execPath, '-e', 'console.log("hello")'],
  foobar: [process.execPath, '-e', 'console.log("foobar")'],
  'disk-free': ['/bin/df', '-h'],
};

/**
 * Calls lookupCommand(command) and says what happened: the argv it
 * returned, or the CommandRefusedError it threw. Any other error fails the
 * test at once, naming it (the starter's TODO error is rethrown as is).
 */
function lookup(command: string): { returned: unknown } | { refusal: CommandRefusedError } {
  let returned: unknown;
  try {
    returned = lookupCommand(command, allowlist);
  } catch (error) {
    if (error instanceof CommandRefusedError) return { refusal: error };
    if (error instanceof Error && error.message.startsWith('TODO:')) throw error;
    const what =
      error instanceof Error
        ? `${error.name === 'Error' ? 'a plain Error' : error.name}: ${error.message}`
        : inspect(error, { breakLength: Infinity });
    throw new Error(`lookupCommand(${shown(command)}) must throw a CommandRefusedError, but it threw ${what}`);
  }
  return { returned };
}

/** A command as the messages show it: in quotes, at most 40 characters. */
function shown(command: string): string {
  return command.length > 40
    ? `${JSON.stringify(command.slice(0, 40))}... (${command.length} characters)`
    : JSON.stringify(command);
}

/** What lookupCommand returned, in words: where it came from, if not from the allowlist's own names. */
function describeReturned(command: string, value: unknown): string {
  if (value === Object.prototype)
    return `Object.prototype itself (what ${JSON.stringify(command)} gives on every object)`;
  if (command in Object.prototype && value === (Object.prototype as Record<string, unknown>)[command]) {
    return `Object.prototype.${command} (inherited by every object, not one of the allowlist's own names)`;
  }
  const owner = Object.keys(allowlist).find((name) => allowlist[name] === value);
  const text = inspect(value, { breakLength: Infinity, maxStringLength: 80 });
  return owner === undefined ? text : `the argv of ${JSON.stringify(owner)}: ${text}`;
}

/** Expects `command` to be refused with exactly the message `unknown command <quoted>`. */
function expectRefused(command: string, quoted: string): void {
  const outcome = lookup(command);
  if ('returned' in outcome) {
    throw new Error(
      `${shown(command)} is not a command name: lookupCommand must throw a CommandRefusedError, but it returned ${describeReturned(command, outcome.returned)}`,
    );
  }
  expect(
    outcome.refusal.message,
    'the message of the CommandRefusedError: "unknown command " and the command as quote() gives it',
  ).toBe(`unknown command ${quoted}`);
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
    const accepted: string[] = [];
    for (const command of ['ls; rm -rf /', '$(id)', '`id`', 'foobar; rm -rf ~']) {
      if ('returned' in lookup(command)) accepted.push(shown(command));
    }
    expect(
      accepted,
      `each of these must be refused with a CommandRefusedError, but lookupCommand returned an argv for ${accepted.join(', ')}`,
    ).toEqual([]);
    expect(lookupCommand('hello', allowlist)[0], 'the program of "hello", which is allowed').toBe(process.execPath);
    expect(started, 'lookupCommand tried to start a process').toEqual([]);
  });
});

describe('Task 3: quote a refused command safely', () => {
  it('puts the text in double quotes, escaping quotes, backslashes and control characters', () => {
    expect(quote('say "hi"'), 'quote(\'say "hi"\'): each " inside is escaped as \\"').toBe('"say \\"hi\\""');
    expect(quote('a\\b'), 'quote of a, a backslash, b: the backslash is escaped as \\\\').toBe('"a\\\\b"');
    expect(
      quote('tab\there\u001b[31m'),
      'quote of a tab and an ESC (0x1b): escaped as \\t and \\u001b, so the message stays one plain line',
    ).toBe('"tab\\there\\u001b[31m"');
  });

  it('escapes exactly as JSON.stringify does: 0x01 becomes \\u0001, DEL (0x7f) stays as it is', () => {
    expect(
      quote('a\u0001b\u007fc\u001f'),
      'quote of a, 0x01, b, DEL, c, 0x1f: JSON.stringify escapes 0x00 to 0x1f (\\u0001, \\u001f) and copies DEL unchanged',
    ).toBe('"a\\u0001b\u007fc\\u001f"');
  });

  it('keeps non-ASCII text as it is', () => {
    expect(quote('你好'), 'quote("你好"): only quotes, backslashes and control characters are escaped').toBe('"你好"');
  });

  it(`keeps at most ${QUOTE_LIMIT} characters and marks the cut with "..."`, () => {
    expect(quote('x'.repeat(QUOTE_LIMIT)), `${QUOTE_LIMIT} characters: all kept, and no "..."`).toBe(
      `"${'x'.repeat(QUOTE_LIMIT)}"`,
    );
    expect(
      quote('x'.repeat(QUOTE_LIMIT + 1)),
      `${QUOTE_LIMIT + 1} characters: the first ${QUOTE_LIMIT}, then "..." after the closing quote`,
    ).toBe(`"${'x'.repeat(QUOTE_LIMIT)}"...`);
    const long = quote('y'.repeat(5000)).length;
    expect(
      long,
      `quote() of 5,000 characters must be ${QUOTE_LIMIT + 5} long (${QUOTE_LIMIT} kept, 2 quotes, "..."), not ${long}`,
    ).toBe(QUOTE_LIMIT + 5);
  });

  it('counts characters, not UTF-16 units, so a cut never splits an emoji', () => {
    const emoji = '😀'.repeat(QUOTE_LIMIT + 1); // each is two UTF-16 units
    const quoted = quote(emoji);
    const kept = Array.from(quoted).filter((c) => c === '😀').length;
    expect(
      quoted,
      `quote() must keep ${QUOTE_LIMIT} characters (code points), not ${QUOTE_LIMIT} UTF-16 units: of ${QUOTE_LIMIT + 1} 😀 (2 UTF-16 units each), it kept ${kept}`,
    ).toBe(`"${'😀'.repeat(QUOTE_LIMIT)}"...`);
  });

  it('is what lookupCommand quotes in its refusal', () => {
    expectRefused('z'.repeat(100), `"${'z'.repeat(QUOTE_LIMIT)}"...`);
  });
});
