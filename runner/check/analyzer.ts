// What the learner's files show without running them, reported as warnings
// that do not stop the tests: type errors (tsx runs code with type errors,
// but they often explain a failure) and review notes (runner/review). The
// analysis runs in a worker thread and costs about a second the first time
// (TypeScript parses Node's type definitions), so results are cached by the
// content of the lesson folder's files.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { shown } from '../output.ts';
import { Worker } from 'node:worker_threads';
import type { AnalysisReply, AnalysisRequest } from './analysis.ts';
import type { Diagnostic } from './verdict.ts';

export interface Analysis {
  types: Diagnostic[];
  notes: Diagnostic[];
}

/** The code of the analysis: part of the cache key, so that a changed rule makes old results stale. */
const ANALYSIS_CODE = ['./analysis.ts', '../review/rules.ts', '../review/code.ts', '../review/ts-morph.ts']
  .map((f) => readFileSync(new URL(f, import.meta.url)))
  .join('');

const none = (): Analysis => ({ types: [], notes: [] });

export interface AnalyzerOptions {
  /** Watch mode: the worker runs at low priority, so that it never slows the tests down. */
  background?: boolean;
  /**
   * `workbook grade`: one analyzer for the whole class. Every request is
   * answered, in turn (none replaced by a newer one), with no cache file;
   * each request's reads are confined to the folders it names; a request
   * that runs longer than `timeoutMs`, or a worker whose heap passes
   * `heapMb`, gets no warnings, and the next request gets a fresh worker.
   */
  grading?: { timeoutMs: number; heapMb: number };
}

export class Analyzer {
  #worker: Worker | undefined;
  #next = 0;
  readonly #pending = new Map<number, (a: Analysis) => void>();
  /** Requests waiting for the one in the worker; in watch mode only the newest is kept. */
  #queued: Array<{ files: string[]; confine?: string[]; resolve: (a: Analysis) => void }> = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #cacheFile: string;

  constructor(
    private readonly root: string,
    private readonly options: AnalyzerOptions = {},
  ) {
    this.#cacheFile = join(root, '.workbook', 'analysis-cache.json');
  }

  /**
   * Type errors and review notes in `files` (absolute paths), with paths
   * relative to the root; with `confine`, TypeScript reads only in those
   * folders (and its standard library).
   */
  async check(files: string[], confine?: string[]): Promise<Analysis> {
    const key = this.options.grading ? undefined : this.#key(files);
    const cache = key ? this.#readCache() : {};
    if (key && cache[key]) return cache[key];
    const reply = await this.#ask(files, confine);
    const rel = (d: Diagnostic): Diagnostic => ({ ...d, file: shown(this.root, d.file) });
    const analysis = { types: reply.types.map(rel), notes: reply.notes.map(rel) };
    if (key) this.#writeCache({ [key]: analysis }); // only the latest entry: the cache stays small
    return analysis;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#worker?.terminate();
  }

  /**
   * One request at a time goes to the worker; the others wait. In watch
   * mode only the newest waits: saves can come faster than a cold type
   * check, and an older request's findings would be shown for nothing (a
   * replaced request resolves with no findings).
   */
  #ask(files: string[], confine?: string[]): Promise<Analysis> {
    return new Promise((resolve) => {
      if (this.#pending.size === 0) return this.#send(files, confine, resolve);
      if (!this.options.grading) {
        for (const replaced of this.#queued) replaced.resolve(none());
        this.#queued = [];
      }
      this.#queued.push({ files, ...(confine ? { confine } : {}), resolve });
    });
  }

  #send(files: string[], confine: string[] | undefined, resolve: (a: Analysis) => void): void {
    if (this.#closed) return resolve(none());
    const worker = (this.#worker ??= this.#start());
    const id = this.#next++;
    const { grading } = this.options;
    if (grading) this.#timer = setTimeout(() => void worker.terminate(), grading.timeoutMs);
    this.#pending.set(id, (analysis) => {
      clearTimeout(this.#timer);
      resolve(analysis);
      const queued = this.#queued.shift();
      if (queued) this.#send(queued.files, queued.confine, queued.resolve);
    });
    worker.postMessage({ id, files, ...(confine ? { confine } : {}) } satisfies AnalysisRequest);
  }

  #start(): Worker {
    const { grading } = this.options;
    const worker = new Worker(new URL('./analysis-worker.js', import.meta.url), {
      workerData: { root: this.root, background: this.options.background === true },
      ...(grading ? { resourceLimits: { maxOldGenerationSizeMb: grading.heapMb } } : {}),
    });
    worker.unref();
    worker.on('message', ({ id, types, notes }: AnalysisReply) => {
      const resolve = this.#pending.get(id);
      this.#pending.delete(id);
      resolve?.({ types, notes });
    });
    // If the checker itself fails, the tests still run; warnings are simply absent.
    // In watch mode so are those of the request waiting; in grading it goes to a new worker.
    const settle = (): void => {
      if (this.#worker === worker) this.#worker = undefined; // the next check starts another
      const inFlight = [...this.#pending.values()];
      this.#pending.clear();
      if (!this.options.grading) {
        inFlight.push(...this.#queued.map((q) => q.resolve));
        this.#queued = [];
      }
      for (const resolve of inFlight) resolve(none());
    };
    worker.on('error', settle);
    worker.on('exit', settle);
    return worker;
  }

  /** A hash of every .ts file in the folders of `files`, or undefined if one cannot be read. */
  #key(files: string[]): string | undefined {
    try {
      // The analysis code is part of the key: new rules make old results stale.
      const hash = createHash('sha256').update(ANALYSIS_CODE);
      for (const dir of [...new Set(files.map(dirname))].sort()) {
        for (const name of readdirSync(dir)
          .filter((n) => n.endsWith('.ts'))
          .sort()) {
          hash.update(name).update(readFileSync(join(dir, name)));
        }
      }
      return hash.update(files.join('\n')).digest('hex');
    } catch {
      return undefined;
    }
  }

  #readCache(): Record<string, Analysis> {
    try {
      return JSON.parse(readFileSync(this.#cacheFile, 'utf8')) as Record<string, Analysis>;
    } catch {
      return {};
    }
  }

  #writeCache(cache: Record<string, Analysis>): void {
    try {
      mkdirSync(dirname(this.#cacheFile), { recursive: true });
      const temp = `${this.#cacheFile}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify(cache));
      renameSync(temp, this.#cacheFile);
    } catch {
      // A cache that cannot be written only costs time.
    }
  }
}
