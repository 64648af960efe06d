// Runs in a worker thread (see analysis-worker.js), beside the tests: type
// errors from a TypeScript language service, which keeps the standard
// library's types parsed between checks (a re-check in watch mode costs tens
// of milliseconds), and review notes from ts-morph.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
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
// Like tsc since TypeScript 5.3: JSDoc comments are parsed only where they
// can cause a type error (Node's type definitions are mostly comments).
const jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
const service = ts.createLanguageService(
  {
    getScriptFileNames: () => files,
    jsDocParsingMode,
    getScriptVersion: (file) => {
      try {
        return String(statSync(file).mtimeMs);
      } catch {
        return '0';
      }
    },
    getScriptSnapshot: (file) => {
      try {
        return ts.ScriptSnapshot.fromString(readFileSync(file, 'utf8'));
      } catch {
        return undefined;
      }
    },
    getCurrentDirectory: () => root,
    getCompilationSettings: () => options,
    getDefaultLibFileName: ts.getDefaultLibFilePath,
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  },
  ts.createDocumentRegistry(ts.sys.useCaseSensitiveFileNames, root, jsDocParsingMode),
);
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

parentPort!.on('message', ({ id, files: wanted }: AnalysisRequest) => {
  files = wanted;
  const reply: AnalysisReply = { id, types: [], notes: [] };
  for (const file of wanted) {
    try {
      reply.types.push(...typeErrors(file));
      reply.notes.push(...reviewNotes(file));
    } catch {
      // A file that cannot be analysed gets no warnings; its tests still speak.
    }
  }
  parentPort!.postMessage(reply);
});
