// The authoring contracts of docs/AUTHORING.md, checked without running
// anything: files present, starters and solutions mirroring each other
// (same exports, same signatures, read with ts-morph), a TODO in every
// starter, hints for every task, given files only in lessons/.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceFile } from 'ts-morph';
import { Project } from '../review/ts-morph.ts';
import { readHints } from '../hints.ts';
import type { Workbook } from '../workbook.ts';

export interface Problem {
  where: string;
  problem: string;
}

export function checkContracts(workbook: Workbook): Problem[] {
  const problems: Problem[] = [];
  const report = (where: string, problem: string): void => void problems.push({ where, problem });
  const project = new Project({
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: true,
    compilerOptions: { allowJs: false },
  });

  const seen = new Map<string, string>();
  for (const e of workbook.exercises) {
    if (seen.has(e.name))
      report(`lessons/${e.lesson.slug}/lesson.json`, `exercise name '${e.name}' is also used in ${seen.get(e.name)}`);
    seen.set(e.name, e.lesson.slug);
  }

  for (const lesson of workbook.lessons) {
    const at = lesson.where;
    const solutionDir = join(workbook.solutionsDir, lesson.slug);
    const readme = join(lesson.dir, 'README.md');
    if (!existsSync(readme)) report(at('README.md'), 'missing');
    else if (!/^#+ .*wire format/im.test(readFileSync(readme, 'utf8')))
      report(at('README.md'), "has no 'Wire format' section");
    if (lesson.exercises.length === 0) report(at('lesson.json'), 'lists no exercises');
    const hints = readHints(lesson);

    for (const e of lesson.exercises) {
      const starter = join(lesson.dir, e.file);
      const solution = join(solutionDir, e.file);
      if (!existsSync(join(lesson.dir, e.test))) report(at(e.test), 'missing (named in lesson.json)');
      if (!existsSync(starter)) {
        report(at(e.file), 'missing (named in lesson.json)');
        continue;
      }
      if (!existsSync(solution)) {
        report(`solutions/${lesson.slug}/${e.file}`, 'missing: every starter needs a reference solution');
        continue;
      }
      const starterText = readFileSync(starter, 'utf8');
      if (!/\/\/ TODO:/.test(starterText)) report(at(e.file), "has no '// TODO:' sentence saying what to do");
      if ((hints.get(e.task) ?? []).length === 0) report(at('hints.md'), `has no hints for task ${e.task}`);
      const a = project.createSourceFile(starter, starterText, { overwrite: true });
      const b = project.createSourceFile(solution, readFileSync(solution, 'utf8'), { overwrite: true });
      for (const problem of compareExports(a, b)) report(at(e.file), problem);
    }

    // A file given complete (not an exercise, not a test) lives once, in
    // lessons/. Its counterpart in solutions/ only re-exports it, so the two
    // trees mirror each other file for file and no copy has to be kept in
    // step (docs/AUTHORING.md, "Given files").
    const exerciseFiles = new Set(lesson.exercises.map((e) => e.file));
    for (const file of readdirSync(lesson.dir)) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts') || exerciseFiles.has(file)) continue;
      const reExport = `export * from '../../lessons/${lesson.slug}/${file}';`;
      const counterpart = join(solutionDir, file);
      const text = existsSync(counterpart) ? readFileSync(counterpart, 'utf8') : undefined;
      if (text === undefined || !text.split('\n').some((line) => line.trim() === reExport)) {
        report(
          `solutions/${lesson.slug}/${file}`,
          `must re-export the given file ${at(file)}, with the line ${reExport}`,
        );
      }
    }
  }
  return problems;
}

/** Differences between the exported API of a starter and of its solution. */
function compareExports(starter: SourceFile, solution: SourceFile): string[] {
  const problems: string[] = [];
  const mine = signatures(starter);
  const theirs = signatures(solution);
  for (const [name, sig] of theirs) {
    if (!mine.has(name)) problems.push(`does not export '${name}', which the solution exports`);
    else if (mine.get(name) !== sig)
      problems.push(`exports '${name}' as ${mine.get(name)}, but the solution has ${sig}`);
  }
  for (const name of mine.keys())
    if (!theirs.has(name)) problems.push(`exports '${name}', which the solution does not`);
  return problems;
}

/** Exported name -> a normalised text of its declared signature. */
function signatures(file: SourceFile): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, decls] of file.getExportedDeclarations()) {
    const decl = decls[0];
    if (!decl) continue;
    let text = decl.getKindName();
    if ('getParameters' in decl && typeof decl.getParameters === 'function') {
      const params = (
        decl.getParameters() as Array<{ getName(): string; getTypeNode(): { getText(): string } | undefined }>
      ).map((p) => `${p.getName()}: ${p.getTypeNode()?.getText() ?? 'any'}`);
      const ret =
        'getReturnTypeNode' in decl && typeof decl.getReturnTypeNode === 'function'
          ? (decl.getReturnTypeNode() as { getText(): string } | undefined)?.getText()
          : undefined;
      text += `(${params.join(', ')})${ret ? `: ${ret}` : ''}`;
    }
    out.set(name, text.replace(/\s+/g, ' '));
  }
  return out;
}
