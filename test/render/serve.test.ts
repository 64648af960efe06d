import { readFileSync, writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, connect, type Server as NetServer } from 'node:net';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withDeadline } from '../../runner/kit/index.ts';
import { WorkbookError, serveSite } from '../../runner/render/index.ts';
import { EVENTS_PATH, listen } from '../../runner/render/serve.ts';
import { copyFixtures, useTempDirs } from './helpers.ts';

const tempDir = useTempDirs();
const toClose: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of toClose.splice(0).reverse()) await close();
});

/** A site served from a fresh copy of the fixture lessons. */
async function start() {
  const root = tempDir();
  const lessons = copyFixtures(root);
  const statePath = join(root, '.workbook', 'state.json');
  const log: string[] = [];
  const site = await serveSite({ lessonsDir: lessons, port: 0, statePath, log: (line) => log.push(line) });
  toClose.push(() => site.close());
  return { site, lessons, statePath, log, root };
}

async function fetchText(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; type: string | null; body: string }> {
  const res = await withDeadline(fetch(url, init), { ms: 5000, message: `the preview server did not answer ${url}` });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

/** Listens to the server-sent events; `reloads(n)` waits until n reloads have come. */
async function listenForReloads(url: string) {
  const res = await withDeadline(
    new Promise<IncomingMessage>((resolve, reject) => get(new URL(EVENTS_PATH, url), resolve).on('error', reject)),
    { ms: 5000, message: 'the preview server did not open its event stream' },
  );
  let text = '';
  let wake = () => {};
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    text += chunk;
    wake();
  });
  toClose.push(async () => void res.destroy());
  const count = () => text.split('event: reload\n').length - 1;
  return {
    res,
    count,
    reloads(n: number, what: string) {
      return withDeadline(
        new Promise<void>((resolve) => {
          wake = () => count() >= n && resolve();
          wake();
        }),
        { ms: 8000, message: `the page was not told to reload after ${what}` },
      );
    },
  };
}

describe('workbook serve: a live preview on 127.0.0.1', () => {
  it('serves the index, the lesson pages and their assets, each page with the reload script', async () => {
    const { site, log } = await start();
    expect(site.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const index = await fetchText(site.url);
    expect(index.status).toBe(200);
    expect(index.type).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('<a href="01-echo.html">Echo</a>');
    expect(index.body).toContain(`new EventSource('${EVENTS_PATH}')`);
    expect((await fetchText(`${site.url}01-echo.html`)).body).toContain('<h1 id="lesson-01-echo">Lesson 01: Echo</h1>');
    const css = await fetchText(`${site.url}style.css`);
    expect([css.status, css.type]).toEqual([200, 'text/css; charset=utf-8']);
    expect(css.body).toContain('.t0{');
    expect((await fetchText(`${site.url}favicon.svg`)).type).toBe('image/svg+xml');
    expect(log).toContain(`serving ${site.url}`);
    expect(log.some((l) => /^rendered 3 pages in \d+ ms$/.test(l))).toBe(true);
  });

  it('answers 404 for a path outside the site and 405 for anything but GET and HEAD', async () => {
    const { site } = await start();
    expect((await fetchText(`${site.url}../../etc/passwd`)).status).toBe(404);
    expect((await fetchText(`${site.url}nope.html`)).body).toBe('/nope.html is not part of the workbook site.\n');
    expect((await fetchText(site.url, { method: 'POST' })).status).toBe(405);
  });

  it('renders again and tells the page to reload when a lesson file changes', async () => {
    const { site, lessons } = await start();
    const events = await listenForReloads(site.url);
    const readme = join(lessons, '01-echo', 'README.md');
    writeFileSync(readme, readFileSync(readme, 'utf8').replace('sends back every byte', 'returns every byte'));
    await events.reloads(1, 'README.md changed');
    expect((await fetchText(`${site.url}01-echo.html`)).body).toContain(
      'An echo server returns every byte it receives.',
    );
  });

  it('shows a render error as a page, keeps serving, and recovers when the file is fixed', async () => {
    const { site, lessons, log } = await start();
    const events = await listenForReloads(site.url);
    const code = join(lessons, '01-echo', 'echo.ts');
    const good = readFileSync(code, 'utf8');
    writeFileSync(code, good.replaceAll('region handler', 'region handle'));
    await events.reloads(1, 'echo.ts lost a region');
    const broken = await fetchText(`${site.url}01-echo.html`);
    expect(broken.body).toContain('<h1>The lessons did not render</h1>');
    expect(broken.body).toContain('lessons/01-echo/README.md:');
    expect(broken.body).toContain('has no region &quot;handler&quot;');
    expect(log.some((l) => l.startsWith('render error: lessons/01-echo/README.md:'))).toBe(true);
    writeFileSync(code, good);
    await events.reloads(2, 'echo.ts was fixed');
    expect((await fetchText(`${site.url}01-echo.html`)).body).toContain('<h1 id="lesson-01-echo">');
  });

  it('picks up a new lesson folder, and the learner’s progress when it changes', async () => {
    const { site, lessons, statePath } = await start();
    const events = await listenForReloads(site.url);
    cpSync(join(lessons, '02-framing'), join(lessons, '03-more'), { recursive: true });
    await events.reloads(1, 'a lesson folder was added');
    expect((await fetchText(site.url)).body).toContain('<a href="03-more.html">Framing</a>');
    mkdirSync(join(statePath, '..'), { recursive: true });
    writeFileSync(statePath, JSON.stringify({ version: 1, done: ['01-echo/fixture-echo'] }));
    await events.reloads(2, 'the progress file was written');
    expect((await fetchText(site.url)).body).toContain('You have done <strong>1 of 4</strong> exercises.');
  });

  it('stops cleanly: the event stream ends and the port is closed', async () => {
    const { site } = await start();
    const events = await listenForReloads(site.url);
    const ended = new Promise<void>((resolve) => events.res.on('close', () => resolve()));
    await site.close();
    await withDeadline(ended, { ms: 5000, message: 'the event stream stayed open after close()' });
    const port = Number(new URL(site.url).port);
    const refused = await withDeadline(
      new Promise<string>((resolve) =>
        connect(port, '127.0.0.1')
          .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''))
          .on('connect', () => resolve('connected')),
      ),
      { ms: 5000, message: 'connecting to the closed server did not settle' },
    );
    expect(refused).toBe('ECONNREFUSED');
  });
});

describe('choosing a port', () => {
  async function occupied(): Promise<{ port: number; server: NetServer }> {
    const server = createNetServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    toClose.push(() => new Promise((resolve) => server.close(() => resolve())));
    return { port: (server.address() as { port: number }).port, server };
  }

  it('falls back to a free port when the default one is busy', async () => {
    const { port: busy } = await occupied();
    const server = createServer();
    toClose.push(() => new Promise((resolve) => server.close(() => resolve())));
    const port = await listen(server, '127.0.0.1', undefined, busy);
    expect(port).not.toBe(busy);
    expect(port).toBeGreaterThan(0);
  });

  it('fails clearly when the port asked for is busy', async () => {
    const { port: busy } = await occupied();
    const root = tempDir();
    const err = await serveSite({
      lessonsDir: copyFixtures(root),
      port: busy,
      statePath: join(root, 'state.json'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkbookError);
    expect((err as Error).message).toBe(
      `port ${busy} on 127.0.0.1 is busy: choose another with --port, or --port 0 for any free one`,
    );
  });
});
