// The runner's two kinds of error, caught only by the entry point (cli.ts):
// - CLIError: the learner asked for something that cannot be done (an
//   unknown exercise, a bad option); the message says what to do instead.
// - WorkbookError: the workbook's own files are wrong (a lesson.json, a
//   hints.md, a README the site cannot render). Its message starts with the
//   file and line at fault (`lessons/01-socket-basics/README.md:42: ...`),
//   so an author can jump straight there. The runner, the renderer, the
//   target plugin and `dev check` all throw this one class.
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

export class WorkbookError extends Error {
  override name = 'WorkbookError';
  /** The file at fault, relative to the workbook when it is inside it. */
  readonly file: string | undefined;
  /** The 1-based line in `file`, when known. */
  readonly line: number | undefined;

  constructor(message: string, where: { file?: string; line?: number } = {}) {
    super((where.file ? `${where.file}${where.line ? `:${where.line}` : ''}: ` : '') + message);
    this.file = where.file;
    this.line = where.line;
  }
}
