// Turns vitest's errors into sentences a beginner can act on.
import { shown } from '../output.ts';
import { inspect, stripVTControlCharacters } from 'node:util';
import type { TestError } from '@vitest/utils';

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
  const sources = [message, error.actual === undefined ? '' : show(error.actual), String(error.stack ?? ''), String(error.cause?.message ?? '')];
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
  if (error.name === 'AssertionError' && (error.expected !== undefined || error.actual !== undefined)) {
    const lines = [firstLine(message)];
    if (error.expected !== undefined) lines.push(`expected: ${clip(show(error.expected))}`);
    if (error.actual !== undefined) lines.push(`received: ${clip(show(error.actual))}`);
    return lines.join('\n');
  }
  if (/ECONNREFUSED/.test(message) && !/TODO/.test(message)) {
    return `${message}\n(Nothing was listening on that port: did your server start listening before the client connected?)`;
  }
  const name = error.name && !['Error', 'AssertionError', 'DeadlineError', 'BytesMismatchError'].includes(error.name) ? `${error.name}: ` : '';
  return name + message;
}

/** The first stack frame inside `dir` (the learner's files), as 'file.ts:line:column'. */
export function whereInside(error: TestError, dir: string, root: string): string | undefined {
  for (const frame of error.stacks ?? []) {
    const file = frame.file.replace(/^file:\/\//, '');
    if (file.startsWith(dir) && !file.endsWith('.test.ts')) return `${shown(root, file)}:${frame.line}:${frame.column}`;
  }
  return undefined;
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
