// The one error class of the renderer. Its message starts with the file and
// line at fault (`lessons/01-socket-basics/README.md:42: ...`), so an author
// can jump straight there; the CLI prints the message and sets the exit code.

export class RenderError extends Error {
  /** The file at fault, relative to the repository when it is inside it. */
  readonly file: string | undefined;
  /** The 1-based line in `file`, when known. */
  readonly line: number | undefined;

  constructor(message: string, where: { file?: string; line?: number } = {}) {
    const prefix = where.file ? `${where.file}${where.line ? `:${where.line}` : ''}: ` : '';
    super(prefix + message);
    this.name = 'RenderError';
    this.file = where.file;
    this.line = where.line;
  }
}
