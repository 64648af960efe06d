// How the `workbook check` that `workbook grade` runs in a sandbox reports
// back: one line of JSON on stdout per event, as the run goes, so that a
// run stopped by a limit still says what finished. Each line starts with a
// token the check read from a file and deleted before any learner code
// ran, so what the learner's code writes to stdout is never taken for it.
//   started  an exercise's test file began running
//   tested   an exercise's verdict as its file ended (no type warnings yet)
//   final    an exercise's verdict at the end of the run (what a finished run is graded on)
//   done     the run finished; `independent`: each verdict came from its own file alone
import { readFileSync, rmSync } from 'node:fs';
import { type ReportPart, reportPart } from '../check/report.ts';
import { type ResultsPart, resultsPart } from '../check/results-json.ts';
import { CheckSession } from '../check/session.ts';
import type { ExerciseResult } from '../check/verdict.ts';
import { CLIError } from '../errors.ts';
import { plain } from '../output.ts';
import { resolveTargetDir } from '../target.ts';
import type { Exercise, Workbook } from '../workbook.ts';

/** One exercise's results, as the grader joins them into results.json and the feedback. */
export interface ExercisePiece {
  id: string;
  results: ResultsPart;
  report: ReportPart;
}

export type StreamEvent =
  | { type: 'started'; id: string }
  | { type: 'tested'; piece: ExercisePiece }
  | { type: 'final'; piece: ExercisePiece }
  | { type: 'done'; independent: boolean };

/** What the grader read from one check. */
export interface CheckStream {
  /** Exercise ids in the order their files started. */
  started: string[];
  tested: Map<string, ExercisePiece>;
  final: Map<string, ExercisePiece>;
  done?: { independent: boolean };
}

export function pieceOf(result: ExerciseResult): ExercisePiece {
  const report = reportPart(result);
  return {
    id: result.exercise.id,
    results: resultsPart(result),
    report: { text: plain(report.text), ...(report.next === undefined ? {} : { next: plain(report.next) }) },
  };
}

/** `workbook check --stream TOKEN_FILE`: the check, reported as stream events. Exit code 0 when the run finished. */
export async function streamCheck(
  workbook: Workbook,
  exercises: Exercise[],
  options: { target?: string; typecheck: boolean; tokenFile: string },
): Promise<number> {
  const token = takeToken(options.tokenFile);
  const emit = (event: StreamEvent): void => {
    process.stdout.write(`${token} ${JSON.stringify(event)}\n`);
  };
  const session = new CheckSession({
    workbook,
    targetDir: resolveTargetDir(options.target, workbook.root),
    typecheck: options.typecheck,
    grading: {
      started: (exercise) => emit({ type: 'started', id: exercise.id }),
      tested: (result) => emit({ type: 'tested', piece: pieceOf(result) }),
    },
  });
  try {
    const results = await session.run(exercises);
    for (const result of results) emit({ type: 'final', piece: pieceOf(result) });
    emit({ type: 'done', independent: session.independent });
  } finally {
    await session.close();
  }
  return 0;
}

/** Reads the token and deletes its file: from then on it lives only in this process's memory. */
function takeToken(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new CLIError(`--stream: the token file cannot be read (${(error as Error).message}).`);
  }
  rmSync(file, { force: true });
  if (!/^[0-9a-f]{32,}$/.test(token)) throw new CLIError('--stream: the token file holds no token.');
  return token;
}

/** The most of a check's stream the grader keeps (a results.json with every test's code is under 1 MiB). */
const MAX_STREAM_BYTES = 64 * 2 ** 20;

/**
 * The grader's side: takes a child's stdout as it comes and keeps the
 * events that carry the token. Other output is dropped; so is a line that
 * does not parse (the learner's code writing into the middle of one).
 * `normalize` makes each line the same on every run before it is parsed.
 */
export class StreamReader {
  readonly stream: CheckStream = { started: [], tested: new Map(), final: new Map() };
  #partial = '';
  #kept = 0;

  constructor(
    private readonly token: string,
    private readonly normalize: (line: string) => string,
  ) {}

  push(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop()!;
    if (this.#partial.length > MAX_STREAM_BYTES) this.#partial = '';
    for (const line of lines) this.#take(line);
  }

  #take(line: string): void {
    const prefix = `${this.token} `;
    if (!line.startsWith(prefix) || this.#kept + line.length > MAX_STREAM_BYTES) return;
    let event: StreamEvent;
    try {
      event = JSON.parse(this.normalize(line.slice(prefix.length))) as StreamEvent;
    } catch {
      return;
    }
    this.#kept += line.length;
    const { stream } = this;
    if (event.type === 'started') stream.started.push(event.id);
    else if (event.type === 'tested') stream.tested.set(event.piece.id, event.piece);
    else if (event.type === 'final') stream.final.set(event.piece.id, event.piece);
    else if (event.type === 'done') stream.done = { independent: event.independent === true };
  }
}
