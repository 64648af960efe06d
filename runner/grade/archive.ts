// Unpacks a submission archive (.zip, .tar.gz/.tgz, .tar) into a folder,
// refusing the whole archive if any entry is unsafe: a path that escapes
// the folder (../, absolute, a drive letter), a link or a device, more
// than MAX_ENTRIES entries, or more than MAX_BYTES once unpacked (a zip
// bomb). Sizes are counted as the bytes arrive, not taken from headers,
// which a hostile archive can fake. yauzl and tar are well-kept parsers;
// the checks around them are ours.
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import yauzl from 'yauzl';

export const ARCHIVE_LIMITS = { maxBytes: 50 * 1024 * 1024, maxEntries: 5_000 };

/** An archive that was refused; the message says which entry and why. */
export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

export function isArchive(path: string): boolean {
  return /\.(zip|tar\.gz|tgz|tar)$/i.test(path);
}

/** Unpacks `archive` into `dest` (created); on refusal removes what was written and throws ArchiveError. */
export async function unpack(archive: string, dest: string, limits = ARCHIVE_LIMITS): Promise<void> {
  mkdirSync(dest, { recursive: true });
  try {
    if (/\.zip$/i.test(archive)) await unzip(archive, dest, limits);
    else await untar(archive, dest, limits, /\.(tar\.gz|tgz)$/i.test(archive));
  } catch (error) {
    rmSync(dest, { recursive: true, force: true });
    if (error instanceof ArchiveError) throw error;
    // yauzl checks names itself; its words for an escaping entry.
    if (/invalid relative path|absolute path/.test((error as Error).message))
      throw new ArchiveError(`holds an entry that escapes its folder (${(error as Error).message})`);
    throw new ArchiveError(`cannot be read as an archive: ${(error as Error).message}`);
  }
}

/** The path an entry may be written to, or an ArchiveError. */
function safePath(dest: string, name: string): string {
  const clean = name.replace(/\\/g, '/');
  if (isAbsolute(clean) || /^[a-zA-Z]:/.test(clean) || clean.split('/').includes('..') || clean.includes('\0'))
    throw new ArchiveError(`holds an entry that escapes its folder: ${JSON.stringify(name)}`);
  const target = normalize(join(dest, clean));
  if (target !== dest && !target.startsWith(dest + sep))
    throw new ArchiveError(`holds an entry that escapes its folder: ${JSON.stringify(name)}`);
  return target;
}

/** Counts bytes through a stream and fails once they pass the budget. */
class Budget {
  used = 0;
  entries = 0;
  constructor(readonly limits: typeof ARCHIVE_LIMITS) {}
  entry(name: string): void {
    if (++this.entries > this.limits.maxEntries)
      throw new ArchiveError(`has more than ${this.limits.maxEntries} entries (at ${JSON.stringify(name)})`);
  }
  counter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        this.used += chunk.length;
        if (this.used > this.limits.maxBytes)
          done(new ArchiveError(`unpacks to more than ${this.limits.maxBytes / 2 ** 20} MiB (a zip bomb?)`));
        else done(null, chunk);
      },
    });
  }
}

async function unzip(archive: string, dest: string, limits: typeof ARCHIVE_LIMITS): Promise<void> {
  const budget = new Budget(limits);
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(archive, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (err, z) =>
      err ? reject(err) : resolve(z!),
    ),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        void (async () => {
          budget.entry(entry.fileName);
          const target = safePath(dest, entry.fileName);
          const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
          if (mode === 0o120000) throw new ArchiveError(`holds a link, which is not allowed: ${entry.fileName}`);
          if (mode !== 0 && mode !== 0o100000 && mode !== 0o040000)
            throw new ArchiveError(`holds an entry that is not a file or folder: ${entry.fileName}`);
          // The declared size is checked first (cheap), the real one while unpacking.
          if (budget.used + entry.uncompressedSize > limits.maxBytes)
            throw new ArchiveError(`unpacks to more than ${limits.maxBytes / 2 ** 20} MiB (a zip bomb?)`);
          if (entry.fileName.endsWith('/')) mkdirSync(target, { recursive: true });
          else {
            mkdirSync(dirname(target), { recursive: true });
            const stream = await new Promise<NodeJS.ReadableStream>((res, rej) =>
              zip.openReadStream(entry, (err, s) => (err ? rej(err) : res(s!))),
            );
            await pipeline(stream, budget.counter(), createWriteStream(target, { flags: 'wx' }));
          }
          zip.readEntry();
        })().catch(reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

async function untar(archive: string, dest: string, limits: typeof ARCHIVE_LIMITS, gzip: boolean): Promise<void> {
  const budget = new Budget(limits);
  const writes: Promise<void>[] = [];
  let refusal: Error | undefined;
  const source = createReadStream(archive);
  // A refused entry stops the whole stream: nothing else is read or written.
  const refuse = (error: Error): void => {
    refusal ??= error;
    source.destroy(refusal);
  };
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      try {
        if (refusal) throw refusal;
        budget.entry(entry.path);
        const target = safePath(dest, entry.path);
        if (entry.type === 'Directory') mkdirSync(target, { recursive: true });
        else if (entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile') {
          mkdirSync(dirname(target), { recursive: true });
          writes.push(pipeline(entry, budget.counter(), createWriteStream(target, { flags: 'wx' })).catch(refuse));
          return;
        } else if (/Link/.test(entry.type)) throw new ArchiveError(`holds a link, which is not allowed: ${entry.path}`);
        else if (!/Header|Extended|Pax/i.test(entry.type))
          throw new ArchiveError(`holds an entry that is not a file or folder: ${entry.path} (${entry.type})`);
      } catch (error) {
        refuse(error as Error);
      }
      entry.resume();
    },
  });
  // The decompressed stream is capped too: a gzip bomb of empty tar blocks holds no entry to count.
  const raw = new Budget({ ...limits, maxBytes: limits.maxBytes + 1024 * (limits.maxEntries + 2) });
  const sink = parser as unknown as NodeJS.WritableStream;
  try {
    if (gzip) await pipeline(source, createGunzip(), raw.counter(), sink);
    else await pipeline(source, raw.counter(), sink);
    await Promise.all(writes);
  } catch (error) {
    throw refusal ?? error;
  }
  if (refusal) throw refusal;
}
