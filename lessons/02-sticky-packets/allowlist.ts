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
  // TODO: return the allowlist's argv when `command` is one of its own
  // keys (Object.hasOwn), exactly as it arrived. Otherwise throw
  // new CommandRefusedError(`unknown command ${quote(command)}`).
  throw new Error('TODO: write lookupCommand (task 3 in lessons/02-sticky-packets/README.md)');
}

/**
 * `text` as a JSON string, safe to put in a one-line error message: quotes,
 * backslashes and control characters are escaped (JSON.stringify), and
 * only the first QUOTE_LIMIT characters are kept, followed by `...` outside
 * the quotes when some were cut.
 */
export function quote(text: string): string {
  // TODO: cut `text` to its first QUOTE_LIMIT characters (Array.from(text)
  // gives one element per character), JSON.stringify what is kept, and
  // add "..." after the closing quote if anything was cut.
  throw new Error('TODO: write quote (task 3 in lessons/02-sticky-packets/README.md)');
}
