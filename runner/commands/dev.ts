import { defineCommand } from '../command.ts';
import { CLIError } from '../errors.ts';
import { mark, say } from '../output.ts';
import { loadWorkbook } from '../workbook.ts';

export default defineCommand({
  name: 'dev',
  summary: "For lesson authors: check the lessons' contracts (docs/AUTHORING.md).",
  usage: 'npx workbook dev check',
  args: [{ name: 'check', description: "check the lessons' contracts (the only dev command)" }],
  footer: `Checks, without running any test: every exercise has a starter, a test and
a solution; starter and solution export the same names with the same
signatures; every starter has a '// TODO:'; every task has hints; every
README has a Wire format section; given files live only in lessons/.
(npm test also runs every solution and every starter against the tests.)`,
  async run({ positionals }) {
    if (positionals[0] !== 'check') throw new CLIError('Usage: npx workbook dev check');
    const { checkContracts } = await import('../dev/contracts.ts');
    const workbook = loadWorkbook();
    const problems = checkContracts(workbook);
    for (const p of problems) say(`${mark.fail} ${p.where}: ${p.problem}`);
    say(
      problems.length === 0
        ? `${mark.pass} ${workbook.lessons.length} lessons, ${workbook.exercises.length} exercises: every contract holds.`
        : `${problems.length} problems.`,
    );
    return problems.length === 0 ? 0 : 1;
  },
});
