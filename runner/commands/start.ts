import { defineCommand } from '../command.ts';
import { progressLine } from '../progress.ts';
import { say, style } from '../output.ts';
import { readState } from '../state.ts';
import { loadWorkbook } from '../workbook.ts';
import { watchWorkbook } from './watch.ts';

export default defineCommand({
  name: 'start',
  summary: 'Show your progress, check your current exercise, then re-check it on every save.',
  usage: 'npm start [-- --manual]   (also: npx workbook [--manual], inside the workbook)',
  options: { manual: { type: 'boolean', description: 'do not watch files; press Enter to re-check' } },
  footer: 'Keys (one press, no Enter needed): Enter = re-check, h = hint, l = list, q = quit.',
  async run({ values }) {
    const workbook = loadWorkbook();
    say(style.bold('Network programming workbook'), progressLine(workbook, readState(workbook.root)), '');
    return watchWorkbook(workbook, { manual: values.manual });
  },
});
