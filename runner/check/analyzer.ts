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
import type { AnalysisReply } from './analysis.ts';
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

export class Analyzer {
  #worker: Worker | undefined;
  #next = 0;
  readonly #pending = new Map<number, (a: Analysis) => void>();
  /** A request waiting for the one in the worker; a newer one replaces it. */
  #queued: { files: string[]; resolve: (a: Analysis) => void } | undefined;
  readonly #cacheFile: string;

  /** `background`: the worker runs at low priority, so that it never slows the tests down. */
  constructor(
    private readonly root: string,
    private readonly options: { background?: boolean } = {},
  ) {
    this.#cacheFile = join(root, '.workbook', 'analysis-cache.json');
  }

  /** Type errors and review notes in `files` (absolute paths), with paths relative to the root. */
  async check(files: string[]): Promise<Analysis> {
    const key = this.#key(files);
    const cache = this.#readCache();
    if (key && cache[key]) return cache[key];
    const reply = await this.#ask(files);
    const rel = (d: Diagnostic): Diagnostic => ({ ...d, file: shown(this.root, d.file) });
    const analysis = { types: reply.types.map(rel), notes: reply.notes.map(rel) };
    if (key) this.#writeCache({ [key]: analysis }); // only the latest entry: the cache stays small
    return analysis;
  }

  async close(): Promise<void> {
    await this.#worker?.terminate();
  }

  /**
   * One request at a time goes to the worker. Requests made meanwhile wait,
   * and only the newest: in watch mode saves can come faster than a cold
   * type check, and an older request's findings would be shown for nothing
   * (a replaced request resolves with no findings).
   */
  #ask(files: string[]): Promise<Analysis> {
    return new Promise((resolve) => {
      if (this.#pending.size === 0) return this.#send(files, resolve);
      this.#queued?.resolve(none());
      this.#queued = { files, resolve };
    });
  }

  #send(files: string[], resolve: (a: Analysis) => void): void {
    const worker = (this.#worker ??= this.#start());
    const id = this.#next++;
    this.#pending.set(id, (analysis) => {
      resolve(analysis);
      const queued = this.#queued;
      this.#queued = undefined;
      if (queued) this.#send(queued.files, queued.resolve);
    });
    worker.postMessage({ id, files });
  }

  #start(): Worker {
    const worker = new Worker(new URL('./analysis-worker.js', import.meta.url), {
      workerData: { root: this.root, background: this.options.background === true },
    });
    worker.unref();
    worker.on('message', ({ id, types, notes }: AnalysisReply) => {
      const resolve = this.#pending.get(id);
      this.#pending.delete(id);
      resolve?.({ types, notes });
    });
    // If the checker itself fails, the tests still run; warnings are simply absent.
    const settleAll = (): void => {
      const waiting = [...this.#pending.values(), ...(this.#queued ? [this.#queued.resolve] : [])];
      this.#pending.clear();
      this.#queued = undefined;
      for (const resolve of waiting) resolve(none());
    };
    worker.on('error', settleAll);
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = undefined; // the next check starts another
      settleAll();
    });
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
