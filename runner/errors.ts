// The CLI's one error class. Commands throw it with a message for the
// learner; only the entry point (cli.ts) catches it and sets the exit code.
export class CLIError extends Error {
  override name = 'CLIError';
  constructor(
    message: string,
    /** The process exit code: 1 for a failed check, 2 for a usage error. */
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
