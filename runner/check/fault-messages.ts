// What the learner is told when their code does something that stops its
// tests: loops forever, runs out of memory, ends the program, fails to load.
import type { ExitCall } from './fault-log.ts';
import { WORKER_HEAP_MB } from './pool.ts';

export function stallMessage(
  file: string,
  stallMs: number,
  loop: { file: string; where: string; functionName: string } | undefined,
): string {
  const stopped = `The tests of ${file} stopped making progress for ${stallMs / 1000} s and were stopped.`;
  const why = 'so nothing else, not even a timeout, can run.';
  if (!loop)
    return `${stopped} Your code probably runs a loop that never ends and never awaits (for example while (true) without await), ${why}`;
  const inFunction = loop.functionName ? ` (in ${loop.functionName}())` : '';
  return `${stopped} Your code at ${loop.where}${inFunction} was running a loop that never ends and never awaits, ${why}`;
}

export function memoryMessage(file: string, test: string | undefined): string {
  return (
    `Your code used more than ${WORKER_HEAP_MB} MB of memory${test ? ` during "${test}"` : ''}, so the tests of ${file} were stopped. ` +
    'Look for something that grows without limit: a list, string or buffer added to on every chunk or loop turn and never emptied.'
  );
}

export function exitMessage(exit: ExitCall, where: string | undefined): string {
  return (
    `Your code called process.exit(${exit.code})${where ? ` at ${where}` : ''}${exit.test ? ` during "${exit.test}"` : ''}. ` +
    'process.exit() ends the whole program, every connection with it: a server must never call it for one client. ' +
    'Close the one socket (socket.end() or socket.destroy()) instead.'
  );
}

/** A test file that failed before any test ran: the learner's file threw (or exited) as it was loaded. */
export function loadMessage(message: string, where: string | undefined): string {
  return where ? `While loading your file ${where}: ${message}` : message;
}
