// Commands are data: a name, a one-line summary, the positional arguments
// and options it takes (each with its description), and a run function
// returning the exit code. Both `--help` and the parser are built from
// those definitions, so the help cannot drift from what is accepted (the
// model is unjs/citty's usage.ts); the run function gets typed values.
import { parseArgs } from 'node:util';
import { CLIError } from './errors.ts';

export interface BooleanOption {
  type: 'boolean';
  description: string;
}

export interface StringOption {
  type: 'string';
  description: string;
  /** The value's name in the help: `--out FILE`. */
  valueName: string;
}

export type OptionDef = BooleanOption | StringOption;
export type OptionDefs = Record<string, OptionDef>;

/** A boolean option is true or false; a string option is its text, or undefined when not given. */
export type OptionValues<O extends OptionDefs> = {
  [K in keyof O]: O[K] extends BooleanOption ? boolean : string | undefined;
};

export interface ArgumentDef {
  name: string;
  description: string;
}

export interface ParsedArgs<O extends OptionDefs> {
  values: OptionValues<O>;
  positionals: string[];
}

export interface Command<O extends OptionDefs = OptionDefs> {
  name: string;
  summary: string;
  /** The usage line: `npx workbook check [exercise | lesson ...] [options]`. */
  usage: string;
  args?: ArgumentDef[];
  options?: O;
  /** More text after the options (keys, exit codes...). */
  footer?: string;
  run(args: ParsedArgs<O>): Promise<number>;
}

export function defineCommand<O extends OptionDefs = Record<never, OptionDef>>(command: Command<O>): Command<O> {
  return command;
}

/** The text of `--help`, from the command's definitions. */
export function renderUsage(command: Command<OptionDefs>): string {
  const rows = (items: [string, string][]): string[] => {
    const width = Math.max(...items.map(([left]) => left.length)) + 3;
    return items.map(([left, right]) => `  ${left.padEnd(width)}${right}`);
  };
  const options = Object.entries(command.options ?? {}).map(([name, o]): [string, string] => [
    o.type === 'string' ? `--${name} ${o.valueName}` : `--${name}`,
    o.description,
  ]);
  options.push(['-h, --help', 'show this help']);
  const args = (command.args ?? []).map((a): [string, string] => [a.name, a.description]);
  const parts = [command.summary, `Usage: ${command.usage}`];
  if (args.length > 0) parts.push(['Arguments:', ...rows(args)].join('\n'));
  parts.push(['Options:', ...rows(options)].join('\n'));
  if (command.footer) parts.push(command.footer);
  return parts.join('\n\n');
}

/** Parses `argv` against the command's options; an unknown option is a usage error that points to --help. */
export function parseCommandArgs<O extends OptionDefs>(command: Command<O>, argv: string[]): ParsedArgs<O> {
  const defs: OptionDefs = command.options ?? {};
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(defs).map(([name, o]) => [name, { type: o.type }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new CLIError(`${(error as Error).message}\nRun 'npx workbook ${command.name} --help' for its options.`);
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, o] of Object.entries(defs)) {
    const given = parsed.values[name];
    values[name] = o.type === 'boolean' ? given === true : typeof given === 'string' ? given : undefined;
  }
  return { values: values as OptionValues<O>, positionals: parsed.positionals };
}
