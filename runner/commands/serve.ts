import { defineCommand } from '../command.ts';
import { CLIError } from '../errors.ts';
import { say } from '../output.ts';
import { statePath } from '../state.ts';
import { loadWorkbook } from '../workbook.ts';

export default defineCommand({
  name: 'serve',
  summary: 'Preview the lessons as a website on 127.0.0.1, reloading when a lesson changes.',
  usage: 'npx workbook serve [--port N]',
  options: {
    port: {
      type: 'string',
      valueName: 'N',
      description: 'the port to listen on (default: 4173, or a free one if it is busy)',
    },
  },
  footer: 'Stop it with Ctrl-C.',
  async run({ values }) {
    const workbook = loadWorkbook();
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536))
      throw new CLIError(`--port needs a number from 0 to 65535, not '${values.port}'.`);
    const { serveSite } = await import('../render/index.ts');
    const server = await serveSite({
      lessonsDir: workbook.lessonsDir,
      port,
      host: '127.0.0.1',
      statePath: statePath(workbook.root),
      log: (line) => say(line),
    });
    say(`Serving the workbook at ${server.url} (Ctrl-C to stop).`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await server.close();
    say('Stopped.');
    return 0;
  },
});
