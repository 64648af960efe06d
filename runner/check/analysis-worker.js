// Type-checks learner files in a worker thread, beside the tests. A
// language service keeps the standard library's types parsed between
// checks, so a re-check in watch mode costs tens of milliseconds.
// Plain JavaScript: worker threads do not inherit the tsx loader.
import { readFileSync, statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import ts from 'typescript';

const { root } = workerData;
const configPath = ts.findConfigFile(root, ts.sys.fileExists, 'tsconfig.json');
const options = configPath
  ? ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, root).options
  : { strict: true, noEmit: true, allowImportingTsExtensions: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: ['node'] };

let files = [];
const host = {
  getScriptFileNames: () => files,
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
};
const service = ts.createLanguageService(host, ts.createDocumentRegistry());

parentPort.on('message', ({ id, check }) => {
  files = check;
  const diagnostics = [];
  for (const file of check) {
    for (const d of service.getSemanticDiagnostics(file)) {
      if (!d.file || d.start === undefined) continue;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      const lineText = d.file.text.split('\n')[line] ?? '';
      diagnostics.push({
        file: d.file.fileName,
        line: line + 1,
        column: character + 1,
        message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
        frame: `${String(line + 1).padStart(4)} | ${lineText}\n     | ${' '.repeat(character)}^`,
      });
    }
  }
  parentPort.postMessage({ id, diagnostics });
});
