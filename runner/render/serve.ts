// `workbook serve`: the site, built in memory and served on 127.0.0.1, built
// again when a lesson file (or the learner's progress) changes. Each page
// holds a small script that listens to /__workbook/events (server-sent
// events) and reloads when told. A render error shows as a page, and the
// server carries on until the file is fixed.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkbookError } from '../errors.ts';
import { buildSite } from './site.ts';
import { defaultStatePath } from './state.ts';
import { errorPage } from './templates.ts';
import { watchFiles } from '../watcher.ts';

export const DEFAULT_PORT = 4173;
export const EVENTS_PATH = '/__workbook/events';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

export interface ServeOptions {
  lessonsDir: string;
  /** Default 4173, or any free port when 4173 is busy; 0 for any free port. */
  port?: number;
  host?: '127.0.0.1';
  statePath?: string;
  log?: (line: string) => void;
}

export async function serveSite(options: ServeOptions): Promise<{ url: string; close(): Promise<void> }> {
  const lessonsDir = resolve(options.lessonsDir);
  const statePath = options.statePath ?? defaultStatePath(lessonsDir);
  const log = options.log ?? (() => {});
  const assetsDir = join(dirname(fileURLToPath(import.meta.url)), 'assets');
  let files = new Map<string, string | Buffer>([
    ['style.css', await readFile(join(assetsDir, 'style.css'))],
    ['favicon.svg', await readFile(join(assetsDir, 'favicon.svg'))],
  ]);
  let failure: string | undefined;
  const clients = new Set<ServerResponse>();

  const rebuild = async (): Promise<boolean> => {
    const start = performance.now();
    try {
      const site = await buildSite({ lessonsDir, statePath, live: true });
      const changed = failure !== undefined || !sameFiles(files, site.files);
      files = site.files;
      failure = undefined;
      log(`rendered ${site.pages} pages in ${Math.round(performance.now() - start)} ms`);
      return changed;
    } catch (err) {
      const message = err instanceof WorkbookError ? err.message : String((err as Error)?.stack ?? err);
      const changed = message !== failure;
      failure = message;
      log(`render error: ${message}`);
      return changed;
    }
  };
  await rebuild();

  // Rebuilds run one at a time; changes that arrive meanwhile cause one more.
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  const schedule = () => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        if (await rebuild()) for (const res of clients) res.write(`event: reload\ndata: ${Date.now()}\n\n`);
      } while (again && !closed);
      running = undefined;
    })();
  };

  // The shared watcher (runner/watcher.ts, debounced) over the lessons and the
  // progress file. The progress file and its folder may not exist yet: watch
  // the nearest folder that does, and only the path to the file inside it.
  const stateDir = dirname(statePath);
  const stateRoot = existsSync(stateDir) ? stateDir : dirname(stateDir);
  const watched = [lessonsDir, ...(existsSync(stateRoot) && !isInside(lessonsDir, stateRoot) ? [stateRoot] : [])];
  const watcher = watchFiles(watched, {
    enter: (dir) => isInside(lessonsDir, dir) || dir === stateDir,
    accept: (file) => isInside(lessonsDir, file) || file === statePath,
    debounceMs: 60,
    onChange: schedule,
    onError: (error) => log(`watching files failed: ${error.message}`),
  });
  await watcher.ready;

  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (path === EVENTS_PATH) {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write('retry: 1000\n\n');
      clients.add(res);
      res.on('close', () => clients.delete(res));
      return;
    }
    const name = path === '/' ? 'index.html' : path.slice(1);
    const type = TYPES[extname(name)] ?? 'application/octet-stream';
    const body = failure !== undefined && name.endsWith('.html') ? errorPage(failure) : files.get(name);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    } else if (body === undefined) {
      res
        .writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
        .end(`${path} is not part of the workbook site.\n`);
    } else {
      res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    }
  });

  const host = options.host ?? '127.0.0.1';
  const port = await listen(server, host, options.port).catch(async (err: unknown) => {
    await stopWatching();
    throw err;
  });
  async function stopWatching() {
    closed = true;
    await watcher.close();
    await running;
  }
  const url = `http://${host}:${port}/`;
  log(`serving ${url}`);
  return {
    url,
    async close() {
      await stopWatching();
      for (const res of clients) res.end();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Listens on `port`; when no port was asked for, on `fallback` (4173), or on
 * any free port when that one is busy. A port asked for and busy is an error.
 */
export async function listen(
  server: Server,
  host: string,
  port: number | undefined,
  fallback = DEFAULT_PORT,
): Promise<number> {
  const attempt = (p: number) =>
    new Promise<number>((done, fail) => {
      const onError = (err: Error) => fail(err);
      server.once('error', onError);
      server.listen(p, host, () => {
        server.off('error', onError);
        done((server.address() as AddressInfo).port);
      });
    });
  try {
    return await attempt(port ?? fallback);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (port === undefined) return attempt(0);
    throw new WorkbookError(
      `port ${port} on ${host} is busy: choose another with --port, or --port 0 for any free one`,
    );
  }
}

function sameFiles(a: Map<string, string | Buffer>, b: Map<string, string | Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (
      w === undefined ||
      (typeof v === 'string' && typeof w === 'string' ? v !== w : !Buffer.from(v).equals(Buffer.from(w)))
    )
      return false;
  }
  return true;
}

/** `path` is `dir` or inside it. */
function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}
