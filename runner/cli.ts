// The `workbook` CLI's entry point: picks the command, parses its options,
// runs it, and turns a CLIError into a message and an exit code. Commands
// are loaded lazily so that `workbook hint` does not pay for vitest.
import { type Command, type OptionDefs, parseCommandArgs, renderUsage } from './command.ts';
import { CLIError, WorkbookError } from './errors.ts';
import { closestNames } from './workbook.ts';

// Each command's own option types are checked where it is defined; here any command will do.
// biome-ignore lint/suspicious/noExplicitAny: see above
const commands: Record<string, () => Promise<{ default: Command<any> }>> = {
  start: () => import('./commands/start.ts'),
  list: () => import('./commands/list.ts'),
  check: () => import('./commands/check.ts'),
  watch: () => import('./commands/watch.ts'),
  hint: () => import('./commands/hint.ts'),
  solution: () => import('./commands/solution.ts'),
  reset: () => import('./commands/reset.ts'),
  render: () => import('./commands/render.ts'),
  serve: () => import('./commands/serve.ts'),
  grade: () => import('./commands/grade.ts'),
  dev: () => import('./commands/dev.ts'),
};

const overview = `workbook: learn network programming with TypeScript on Node.js

Usage: npx workbook [command] [options]

With no command: shows your progress, checks your current exercise, then
re-checks it each time you save.

Commands:
  list                      every lesson and exercise, with your progress
  check [exercise|lesson]   run the tests of an exercise (default: the current one)
  watch                     re-check the current exercise on every save
  hint [exercise]           the next hint, one at a time
  solution [exercise]       the reference solution, once your exercise passes
  reset [exercise]          restore the starter file (asks first)
  render                    build the lessons as a static website
  serve                     preview that website locally, reloading on changes
  grade <submissions...>    for instructors: grade a class (docs/GRADING.md)
  dev check                 for lesson authors: check the lessons' contracts

Run 'npx workbook <command> --help' for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    console.log(overview);
    return 0;
  }
  const name = first === undefined || first.startsWith('-') ? 'start' : first;
  const args = name === 'start' && first !== 'start' ? argv : rest;
  try {
    const load = commands[name];
    if (!load) {
      const close = closestNames(name, Object.keys(commands));
      throw new CLIError(
        `'${name}' is not a workbook command.${close.length ? ` Did you mean: ${close.join(', ')}?` : ''}\nRun 'npx workbook --help' to see the commands.`,
      );
    }
    const command = (await load()).default;
    if (args.includes('--help') || args.includes('-h')) {
      console.log(renderUsage(command as Command<OptionDefs>));
      return 0;
    }
    return await command.run(parseCommandArgs(command, args));
  } catch (error) {
    if (error instanceof CLIError) {
      console.error(error.message);
      return error.exitCode;
    }
    // The workbook's own files are at fault: the message names the file and line.
    if (error instanceof WorkbookError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}
