// Runs in a worker thread (see analysis-worker.js), beside the tests: type
// errors from a TypeScript language service, which keeps the standard
// library's types parsed between checks (a re-check in watch mode costs tens
// of milliseconds), and review notes from ts-morph. For `workbook grade`
// one such thread serves the whole class, and a request can confine what
// TypeScript reads to the submission's folder and the type definitions, so
// that a type error cannot show an instructor's file.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve, sep } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { reviewSource } from '../review/rules.ts';
import { Project } from '../review/ts-morph.ts';
import type { Diagnostic } from './verdict.ts';

// Loaded with require(), not import: an import of a CommonJS package makes
// Node scan the whole file for its export names first, and TypeScript's is
// 9 MB (measured: 1.4 s of CPU instead of 0.45 s).
const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
type CompilerOptions = import('typescript').CompilerOptions;

export interface AnalysisRequest {
  id: number;
  files: string[];
  /** Folders TypeScript may read (besides its own standard library); absent: any. */
  confine?: string[];
}

export interface AnalysisReply {
  id: number;
  types: Diagnostic[];
  notes: Diagnostic[];
}

const { root } = workerData as { root: string };
const configPath = ts.findConfigFile(root, ts.sys.fileExists, 'tsconfig.json');
const options: CompilerOptions = configPath
  ? ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, root).options
  : {
      strict: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ['node'],
    };

// The module format is forced to ESM: a submission outside the workbook has
// no package.json saying "type": "module", and TypeScript would otherwise
// read its files as CommonJS and report errors the learner did not make.
options.module = ts.ModuleKind.Preserve;
options.moduleResolution = ts.ModuleResolutionKind.Bundler;

let files: string[] = [];
/** The folders the current request may read, each ending in a separator; undefined: any. */
let readable: string[] | undefined;
const mayRead = (path: string): boolean =>
  readable === undefined || readable.some((dir) => resolve(path).startsWith(dir) || `${resolve(path)}${sep}` === dir);
const confined =
  <T, A extends unknown[]>(read: (path: string, ...rest: A) => T, denied: T) =>
  (path: string, ...rest: A): T =>
    mayRead(path) ? read(path, ...rest) : denied;
const folder = (dir: string): string => `${resolve(dir)}${sep}`;
const standardLibrary = folder(dirname(ts.getDefaultLibFilePath(options)));
// Like tsc since TypeScript 5.3: JSDoc comments are parsed only where they
// can cause a type error (Node's type definitions are mostly comments).
const jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
const host: import('typescript').LanguageServiceHost = {
  getScriptFileNames: () => files,
  jsDocParsingMode,
  getScriptVersion: (file) => {
    try {
      return String(statSync(file).mtimeMs);
    } catch {
      return '0';
    }
  },
  getScriptSnapshot: confined((file) => {
    try {
      return ts.ScriptSnapshot.fromString(readFileSync(file, 'utf8'));
    } catch {
      return undefined;
    }
  }, undefined),
  getCurrentDirectory: () => root,
  getCompilationSettings: () => options,
  getDefaultLibFileName: ts.getDefaultLibFilePath,
  fileExists: confined(ts.sys.fileExists, false),
  readFile: confined(ts.sys.readFile, undefined),
  readDirectory: confined(ts.sys.readDirectory, []),
  directoryExists: confined(ts.sys.directoryExists, false),
  getDirectories: confined(ts.sys.getDirectories, []),
};
// The parsed files (Node's type definitions above all) are kept here, for every service.
const registry = ts.createDocumentRegistry(ts.sys.useCaseSensitiveFileNames, root, jsDocParsingMode);
let service = ts.createLanguageService(host, registry);
/** The folders the service's program was made under: a service reuses what its last program resolved. */
let serviceReads: string | undefined;
const project = new Project({ skipAddingFilesFromTsConfig: true, skipFileDependencyResolution: true });

function typeErrors(file: string): Diagnostic[] {
  return service.getSemanticDiagnostics(file).flatMap((d) => {
    if (!d.file || d.start === undefined) return [];
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return [
      {
        file: d.file.fileName,
        line: line + 1,
        column: character + 1,
        message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
        frame: frame(d.file.text, line + 1, character + 1),
      },
    ];
  });
}

function reviewNotes(file: string): Diagnostic[] {
  const text = readFileSync(file, 'utf8');
  const source = project.createSourceFile(file, text, { overwrite: true });
  return reviewSource(source).map((n) => ({
    file,
    line: n.line,
    column: n.column,
    message: n.message,
    frame: frame(text, n.line, n.column),
  }));
}

function frame(text: string, line: number, column: number): string {
  const lineText = text.split('\n')[line - 1] ?? '';
  return `${String(line).padStart(4)} | ${lineText}\n     | ${' '.repeat(column - 1)}^`;
}

parentPort!.on('message', ({ id, files: wanted, confine }: AnalysisRequest) => {
  files = wanted;
  readable = confine && [standardLibrary, ...confine.map(folder)];
  // Other folders, a new service: an import an earlier request resolved may
  // name a file this one may not read. The registry keeps the parsed files.
  const reads = JSON.stringify(readable ?? null);
  const replaced = reads === serviceReads ? undefined : service;
  if (replaced) service = ts.createLanguageService(host, registry);
  serviceReads = reads;
  const reply: AnalysisReply = { id, types: [], notes: [] };
  for (const file of wanted) {
    try {
      reply.types.push(...typeErrors(file));
      reply.notes.push(...reviewNotes(file));
    } catch {
      // A file that cannot be analysed gets no warnings; its tests still speak.
    }
  }
  replaced?.dispose(); // after the new program holds the files they share
  parentPort!.postMessage(reply);
});
