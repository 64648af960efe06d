// What a piece of the learner's code refers to, for the review rules
// (rules.ts): the listeners of an event, the name a call calls, and which
// calls reach child_process (however it was imported).
import type { Node as AstNode, CallExpression, SourceFile } from 'ts-morph';
import { Node, SyntaxKind } from './ts-morph.ts';

/** The calls `x.on('<event>', callback)` / `x.once(...)` in `file`, with their callbacks. */
export function listeners(
  file: SourceFile,
  events: readonly string[],
): Array<{ call: CallExpression; callback: AstNode }> {
  const found: Array<{ call: CallExpression; callback: AstNode }> = [];
  for (const call of file.getDescendantsOfKind(SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    if (!Node.isPropertyAccessExpression(callee) || !['on', 'once', 'addListener'].includes(callee.getName())) continue;
    const [event, callback] = call.getArguments();
    if (!event || !callback || !Node.isStringLiteral(event) || !events.includes(event.getLiteralValue())) continue;
    if (Node.isArrowFunction(callback) || Node.isFunctionExpression(callback)) found.push({ call, callback });
  }
  return found;
}

export function calleeName(call: CallExpression): string {
  const callee = call.getExpression();
  if (Node.isIdentifier(callee)) return callee.getText();
  if (Node.isPropertyAccessExpression(callee)) return callee.getName();
  return '';
}

const CHILD_PROCESS = new Set(['child_process', 'node:child_process']);

/**
 * Resolves calls to child_process's functions by what the file imports:
 * `import { exec as run } from 'node:child_process'` makes `run(...)` an
 * exec; `import * as cp` (or a default import, or a require) makes
 * `cp.exec(...)` one. Any other exec, such as `/re/.exec(s)`, is not.
 * Returns the child_process function a call reaches, or undefined.
 */
export function childProcessBindings(file: SourceFile): (call: CallExpression) => string | undefined {
  const named = new Map<string, string>(); // local name -> exported name
  const namespaces = new Set<string>();
  for (const decl of file.getImportDeclarations()) {
    if (!CHILD_PROCESS.has(decl.getModuleSpecifierValue())) continue;
    const ns = decl.getNamespaceImport() ?? decl.getDefaultImport();
    if (ns) namespaces.add(ns.getText());
    for (const spec of decl.getNamedImports()) {
      named.set(spec.getAliasNode()?.getText() ?? spec.getName(), spec.getName());
    }
  }
  // const cp = require('child_process'); const { exec } = require('node:child_process');
  for (const variable of file.getDescendantsOfKind(SyntaxKind.VariableDeclaration)) {
    const init = variable.getInitializer();
    if (!init || !Node.isCallExpression(init) || init.getExpression().getText() !== 'require') continue;
    const spec = init.getArguments()[0];
    if (!spec || !Node.isStringLiteral(spec) || !CHILD_PROCESS.has(spec.getLiteralValue())) continue;
    const binding = variable.getNameNode();
    if (Node.isIdentifier(binding)) namespaces.add(binding.getText());
    else if (Node.isObjectBindingPattern(binding)) {
      for (const element of binding.getElements()) {
        named.set(element.getName(), element.getPropertyNameNode()?.getText() ?? element.getName());
      }
    }
  }
  return (call) => {
    const callee = call.getExpression();
    if (Node.isIdentifier(callee)) return named.get(callee.getText());
    if (Node.isPropertyAccessExpression(callee) && namespaces.has(callee.getExpression().getText()))
      return callee.getName();
    return undefined;
  };
}
