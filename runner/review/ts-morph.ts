// ts-morph, loaded with require(): an import of this CommonJS package makes
// Node scan its 1 MB entry file for export names first (0.4 s of CPU each
// time the review or dev check starts).
import { createRequire } from 'node:module';

export const tsMorph = createRequire(import.meta.url)('ts-morph') as typeof import('ts-morph');
export const { Node, Project, SyntaxKind } = tsMorph;
