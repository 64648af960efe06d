// Lesson 02, task 3: look commands up in an allowlist.
//
// Say your server runs a few programs for its clients: the date, the
// uptime, a disk report. The tutorials ran whatever line arrived, with a
// shell. Beej's guide shows the next mistake: allow only lines that start
// with "foobar", and a client sends "foobar; rm -rf ~". The safe design takes
// no command text from the network at all: a request is only a name, and
// the name picks a fixed argv that the server wrote itself.

/** A program and its arguments, fixed by the server: `[program, ...args]`. */
export type Argv = readonly [program: string, ...args: string[]];

/** Command names mapped to what each one runs. */
export type Allowlist = Readonly<Record<string, Argv>>;

/** How much of a refused command the error message quotes, in characters. */
export const QUOTE_LIMIT = 64;

/** The command is not in the allowlist; nothing was run. */
export class CommandRefusedError extends Error {
  override name = 'CommandRefusedError';
}

/**
 * Returns the argv that `command` names in `allowlist`. The whole command
 * must equal a name exactly: no prefix, no trimming, no other case. Anything
 * else throws a CommandRefusedError with the message
 * `unknown command "<command>"` (see quote()).
 */
export function lookupCommand(command: string, allowlist: Allowlist): Argv {
  // Object.hasOwn, not allowlist[command] alone: every object inherits
  // "constructor", "toString" and "__proto__", which are not commands.
  if (!Object.hasOwn(allowlist, command)) throw new CommandRefusedError(`unknown command ${quote(command)}`);
  return allowlist[command]!;
}

/**
 * `text` as a JSON string, safe to put in a one-line error message: quotes,
 * backslashes and control characters are escaped (JSON.stringify), and
 * only the first QUOTE_LIMIT characters are kept, followed by `...` outside
 * the quotes when some were cut.
 */
export function quote(text: string): string {
  // Array.from splits by code point, so a cut never halves a character.
  const chars = Array.from(text);
  const kept = chars.slice(0, QUOTE_LIMIT).join('');
  return JSON.stringify(kept) + (chars.length > QUOTE_LIMIT ? '...' : '');
}
