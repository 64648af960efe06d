// Commands are data: a name, a one-line summary, usage text, options for
// node:util's parseArgs, and a run function returning the exit code.
import type { ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  /** Usage lines and option descriptions, shown by --help. */
  help: string;
  options?: Options;
  run(args: ParsedArgs): Promise<number>;
}

export function defineCommand(command: Command): Command {
  return command;
}
