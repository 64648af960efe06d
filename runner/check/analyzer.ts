// Type errors in the learner's files, reported as warnings: they do not stop
// the tests (tsx runs code with type errors), but they often explain a failure.
// Checking costs about a second (TypeScript parses Node's type definitions),
// so results are cached by the content of the lesson folder's files.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Diagnostic } from './verdict.ts';

export class TypeChecker {
  #worker: Worker | undefined;
  #next = 0;
  readonly #pending = new Map<number, (d: Diagnostic[]) => void>();
  readonly #cacheFile: string;

  constructor(private readonly root: string) {
    this.#cacheFile = join(root, '.workbook', 'typecheck-cache.json');
  }

  /** Type errors in `files` (absolute paths), with paths relative to the root. */
  async check(files: string[]): Promise<Diagnostic[]> {
    const key = this.#key(files);
    const cache = this.#readCache();
    if (key && cache[key]) return cache[key];
    const diagnostics = (await this.#ask(files)).map((d) => ({ ...d, file: relative(this.root, d.file) }));
    if (key) this.#writeCache({ [key]: diagnostics }); // only the latest entry: the cache stays small
    return diagnostics;
  }

  async close(): Promise<void> {
    await this.#worker?.terminate();
  }

  #ask(files: string[]): Promise<Diagnostic[]> {
    const worker = (this.#worker ??= this.#start());
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      worker.postMessage({ id, check: files });
    });
  }

  #start(): Worker {
    const worker = new Worker(new URL('./typecheck-worker.js', import.meta.url), { workerData: { root: this.root } });
    worker.unref();
    worker.on('message', ({ id, diagnostics }: { id: number; diagnostics: Diagnostic[] }) => {
      this.#pending.get(id)?.(diagnostics);
      this.#pending.delete(id);
    });
    // If the checker itself fails, the tests still run; warnings are simply absent.
    const settleAll = (): void => {
      for (const resolve of this.#pending.values()) resolve([]);
      this.#pending.clear();
    };
    worker.on('error', settleAll);
    worker.on('exit', settleAll);
    return worker;
  }

  /** A hash of every .ts file in the folders of `files`, or undefined if one cannot be read. */
  #key(files: string[]): string | undefined {
    try {
      const hash = createHash('sha256');
      for (const dir of [...new Set(files.map(dirname))].sort()) {
        for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) {
          hash.update(name).update(readFileSync(join(dir, name)));
        }
      }
      return hash.update(files.join('\n')).digest('hex');
    } catch {
      return undefined;
    }
  }

  #readCache(): Record<string, Diagnostic[]> {
    try {
      return JSON.parse(readFileSync(this.#cacheFile, 'utf8')) as Record<string, Diagnostic[]>;
    } catch {
      return {};
    }
  }

  #writeCache(cache: Record<string, Diagnostic[]>): void {
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
