// Turns vitest's errors into sentences a beginner can act on.
import { shown } from '../output.ts';
import { inspect, stripVTControlCharacters } from 'node:util';
import type { TestError } from '@vitest/utils';
import { firstPlace } from './fault-log.ts';

const TIMEOUT = /Test timed out in (\d+)ms/;
const HOOK_TIMEOUT = /Hook timed out in (\d+)ms/;

/** The starter's "not written yet" error: `TODO: ... (task N in lessons/.../README.md)`. */
const TODO = /TODO: [^\n]*?\(task \d+ in [^)\n]*\)/;
const LOOSE_TODO = /TODO: [^\n'"`…]+/;

/** The learner-facing explanation of one test error. */
export function explain(error: TestError): string {
  const message = stripVTControlCharacters(String(error.message ?? error)).trim();
  // An unwritten starter fails each test in its own way (a wrong type, an
  // empty list, a thrown error): what the learner needs is the TODO itself.
  const sources = [
    message,
    error.actual === undefined ? '' : show(error.actual),
    String(error.stack ?? ''),
    String(error.cause?.message ?? ''),
  ];
  const todo = firstMatch(TODO, sources) ?? firstMatch(LOOSE_TODO, sources);
  if (todo) return `${todo}\n(This part is not written yet.)`;
  const timeout = TIMEOUT.exec(message) ?? HOOK_TIMEOUT.exec(message);
  if (timeout) {
    const s = Number(timeout[1]) / 1000;
    return (
      `This test did not finish within ${s} s. Your code may be waiting for something that never ` +
      `happens (a reply, an 'end' event, a callback), or a promise is never resolved.`
    );
  }
  if (error.name === 'AssertionError') return explainAssertion(message, error);
  if (/ECONNREFUSED/.test(message)) {
    return `${message}\n(ECONNREFUSED: nothing was listening on that port. A client socket that fails to connect needs an 'error' listener; a server must be listening before clients connect.)`;
  }
  const name =
    error.name && !['Error', 'AssertionError', 'DeadlineError', 'BytesMismatchError'].includes(error.name)
      ? `${error.name}: `
      : '';
  return name + message;
}

/**
 * An assertion's failure. A test's own sentence comes first ("your server
 * must ...: expected 0 to be greater than 0"); when there is one, the
 * matcher's wording is dropped, and expected/received are kept only where
 * they say more than true/false or a count.
 */
function explainAssertion(message: string, error: TestError): string {
  const at = message.indexOf(': expected ');
  const sentence = at > 0 ? message.slice(0, at) : '';
  const matcher = at > 0 ? message.slice(at + 2) : firstLine(message);
  const lines = [sentence || firstLine(matcher)];
  const trivial = (v: unknown): boolean => v === undefined || typeof v === 'boolean' || v === 'true' || v === 'false';
  const resolved = /^promise resolved "(.*)" instead of rejecting/s.exec(matcher);
  if (resolved) {
    lines.push(
      `the promise resolved${resolved[1] === 'undefined' ? '' : ` with ${clip(resolved[1]!, 120)}`}, but this test expects it to reject (fail with an error)`,
    );
    return lines.filter((_line, i) => i > 0 || sentence).join('\n');
  }
  const comparison = /^expected (.+?) to be (greater|less) than (or equal to )?(.+)$/.exec(firstLine(matcher));
  if (comparison) {
    const [, actual, direction, orEqual, bound] = comparison;
    if (sentence) lines.push(`(it was ${actual}; it must be ${direction} than ${orEqual ?? ''}${bound})`);
    return lines.join('\n');
  }
  const thrown = errorLike(error.actual);
  if (thrown) {
    // e.g. rejects.toThrow(RangeError) when the code timed out or hit its TODO.
    lines.push(`instead, this happened: ${thrown}`);
  } else if (
    !(sentence && trivial(error.expected) && trivial(error.actual)) &&
    (error.expected !== undefined || error.actual !== undefined)
  ) {
    if (sentence && !/^expected .* to (deeply )?(equal|be|strictly equal)/.test(matcher))
      lines.push(clip(firstLine(matcher)));
    if (error.expected !== undefined) lines.push(`expected: ${clip(show(error.expected))}`);
    if (error.actual !== undefined) lines.push(`received: ${clip(show(error.actual))}`);
  }
  return lines.join('\n');
}

/** "Name: message" when `value` is a serialized error, else undefined. */
function errorLike(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || !('message' in value)) return undefined;
  const { name, message } = value as { name?: unknown; message?: unknown };
  if (typeof message !== 'string') return undefined;
  return typeof name === 'string' && name !== 'Error' ? `${name}: ${message}` : message;
}

/**
 * Errors that escaped every test: each kind said once, with how often it
 * happened, which test was running, and what usually causes it.
 */
export function explainUnhandled(
  errors: TestError[],
  dir: string,
  root: string,
  { startedHere = false }: { startedHere?: boolean } = {},
): string[] {
  const counts = new Map<string, number>();
  for (const error of errors) {
    const rejection = error.type === 'Unhandled Rejection';
    const kind = rejection
      ? 'A promise was rejected and nothing caught it (an await without try/catch, or a promise nobody awaits)'
      : "An error was thrown that nothing handled (often an 'error' event with no listener)";
    // The test whose code started what failed (runner/check/worker-setup.ts),
    // which may have ended before it failed; else the test running then.
    const startedBy = typeof error.WORKBOOK_STARTED_BY === 'string' ? error.WORKBOOK_STARTED_BY : undefined;
    const during = startedHere
      ? ' in code this test started'
      : startedBy
        ? ` in code started by "${startedBy}"`
        : typeof error.VITEST_TEST_NAME === 'string'
          ? ` during "${error.VITEST_TEST_NAME}"`
          : '';
    const where = whereInside(error, dir, root);
    const message = explain(error);
    const why = /write after end|ERR_STREAM_WRITE_AFTER_END|EPIPE/.test(message)
      ? '\n(Nothing can be written after end(). When the other side ends, Node ends your side too, unless the socket was created with allowHalfOpen: true.)'
      : '';
    const text = `${kind}${during}:\n${message}${why}${where ? `\n(at ${where})` : ''}`;
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return [...counts].map(([text, n]) => (n > 1 ? text.replace(':\n', ` (${n} times):\n`) : text));
}

/** The first stack frame inside `dir` (the learner's files), as 'file.ts:line:column'. */
export function whereInside(error: TestError, dir: string, root: string): string | undefined {
  const inside = (file: string): boolean => file.startsWith(dir) && !file.endsWith('.test.ts');
  for (const frame of error.stacks ?? []) {
    const file = frame.file.replace(/^file:\/\//, '');
    if (inside(file)) return `${shown(root, file)}:${frame.line}:${frame.column}`;
  }
  // Errors that escaped every test come with their stack as text only.
  const place = typeof error.stack === 'string' ? firstPlace(error.stack, inside) : undefined;
  return place && `${shown(root, place.file)}:${place.line}:${place.column}`;
}

function firstMatch(pattern: RegExp, texts: string[]): string | undefined {
  for (const text of texts) {
    const match = pattern.exec(text);
    if (match) return match[0].trim();
  }
  return undefined;
}

/** Any value as text; vitest sends some values as objects without a prototype, which String() cannot convert. */
function show(value: unknown): string {
  return typeof value === 'string' ? value : inspect(value, { depth: 3, breakLength: Infinity });
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

function clip(text: string, max = 400): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max)}… (${one.length} characters)` : one;
}
