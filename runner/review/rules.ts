// Review notes: what a reviewer would flag in network code that tests
// cannot catch, because the code works on loopback today. Each rule reads
// the learner's source with ts-morph and never runs it; review/code.ts
// resolves what the code refers to.
import type { Node as AstNode, SourceFile } from 'ts-morph';
import { calleeName, childProcessBindings, listeners } from './code.ts';
import { Node, SyntaxKind } from './ts-morph.ts';

export interface ReviewNote {
  rule: string;
  line: number;
  column: number;
  message: string;
}

interface Rule {
  id: string;
  check(file: SourceFile, note: (node: AstNode, message: string) => void): void;
}

/** Every review note for `file`, in source order, at most one per rule and line. */
export function reviewSource(file: SourceFile): ReviewNote[] {
  const notes: ReviewNote[] = [];
  const seen = new Set<string>();
  for (const rule of rules) {
    rule.check(file, (node, message) => {
      const { line, column } = file.getLineAndColumnAtPos(node.getStart());
      const key = `${rule.id}:${line}`;
      if (seen.has(key)) return;
      seen.add(key);
      notes.push({ rule: rule.id, line, column, message });
    });
  }
  return notes.sort((a, b) => a.line - b.line || a.column - b.column);
}

const SECRET_LIKE = /digest|hmac|\bmac\b|signature|hash|token|proof|\btag\b/i;
// One byte at a fixed index (a type byte such as `proof[0]`) is no secret.
const ONE_BYTE = /\[\d+\]$/;

export const rules: Rule[] = [
  {
    id: 'data-chunk-as-message',
    check(file, note) {
      for (const { callback } of listeners(file, ['data'])) {
        const param =
          Node.isArrowFunction(callback) || Node.isFunctionExpression(callback)
            ? callback.getParameters()[0]?.getName()
            : undefined;
        if (!param) continue;
        for (const call of callback.getDescendantsOfKind(SyntaxKind.CallExpression)) {
          const name = calleeName(call);
          const onChunk = (text: string): boolean => new RegExp(`\\b${param}\\b`).test(text);
          const parsesWhole =
            name === 'parse' &&
            call.getExpression().getText() === 'JSON.parse' &&
            onChunk(call.getArguments()[0]?.getText() ?? '');
          const readsHeader =
            /^read(U?Int(8|16|32)|BigU?Int64)(BE|LE)?$/.test(name) &&
            call.getExpression().getText().startsWith(`${param}.`);
          if (parsesWhole || readsHeader) {
            note(
              call,
              "A 'data' chunk is not one message: TCP may split one write into several chunks or merge several writes into one. Keep the bytes until a whole message has arrived (a delimiter, lesson 02, or a length prefix, lesson 03).",
            );
          }
        }
      }
    },
  },
  {
    id: 'shell-on-input',
    check(file, note) {
      const childProcess = childProcessBindings(file);
      for (const call of file.getDescendantsOfKind(SyntaxKind.CallExpression)) {
        const name = childProcess(call);
        if (!name) continue;
        if (name === 'exec' || name === 'execSync') {
          note(
            call,
            `${name}() runs its command through a shell, so ';', '$(...)' and backticks in network input become commands (CWE-78). Use execFile() or spawn() with a fixed program and an array of arguments.`,
          );
        }
        for (const arg of call.getArguments()) {
          if (!Node.isObjectLiteralExpression(arg)) continue;
          const shell = arg.getProperty('shell');
          if (shell && Node.isPropertyAssignment(shell) && shell.getInitializer()?.getText() !== 'false') {
            note(
              shell,
              "'shell' starts the command through a shell, which turns ';' and '$(...)' in its arguments into commands (CWE-78). Leave it out.",
            );
          }
        }
      }
    },
  },
  {
    id: 'secret-compared-with-equals',
    check(file, note) {
      for (const binary of file.getDescendantsOfKind(SyntaxKind.BinaryExpression)) {
        const op = binary.getOperatorToken().getKind();
        if (
          ![
            SyntaxKind.EqualsEqualsEqualsToken,
            SyntaxKind.EqualsEqualsToken,
            SyntaxKind.ExclamationEqualsEqualsToken,
            SyntaxKind.ExclamationEqualsToken,
          ].includes(op)
        )
          continue;
        const sides = [binary.getLeft(), binary.getRight()];
        if (sides.some((s) => Node.isNumericLiteral(s) || /\.length$|null|undefined/.test(s.getText()))) continue;
        if (sides.some((s) => ONE_BYTE.test(s.getText()))) continue;
        if (sides.some((s) => SECRET_LIKE.test(s.getText()))) {
          note(
            binary,
            'Comparing a digest or MAC with === stops at the first differing byte, and that timing leaks how much was right (CWE-208). Use crypto.timingSafeEqual() on two Buffers of the same length.',
          );
        }
      }
      for (const call of file.getDescendantsOfKind(SyntaxKind.CallExpression)) {
        const callee = call.getExpression();
        if (callee.getText() === 'Buffer.compare' && SECRET_LIKE.test(call.getText())) {
          note(
            call,
            'Buffer.compare() stops at the first differing byte, so comparing a digest or MAC with it leaks timing (CWE-208). Use crypto.timingSafeEqual().',
          );
        }
        if (
          Node.isPropertyAccessExpression(callee) &&
          callee.getName() === 'equals' &&
          SECRET_LIKE.test(call.getText())
        ) {
          note(
            call,
            "Buffer's equals() is not constant-time, so comparing a digest or MAC with it leaks timing (CWE-208). Use crypto.timingSafeEqual().",
          );
        }
      }
    },
  },
  {
    id: 'weak-hash',
    check(file, note) {
      for (const call of file.getDescendantsOfKind(SyntaxKind.CallExpression)) {
        if (!['createHash', 'createHmac', 'hash'].includes(calleeName(call))) continue;
        const algorithm = call.getArguments()[0];
        if (algorithm && Node.isStringLiteral(algorithm) && /^(md5|sha-?1|md4)$/i.test(algorithm.getLiteralValue())) {
          note(
            call,
            `${algorithm.getLiteralValue().toUpperCase()} is broken for security use: collisions are practical. Use 'sha256' (and for passwords, scrypt or Argon2, never a plain hash).`,
          );
        }
      }
    },
  },
  {
    id: 'sync-call-in-handler',
    check(file, note) {
      const handlers = [
        ...listeners(file, ['data', 'connection', 'message', 'end', 'readable']).map((l) => l.callback),
        ...file
          .getDescendantsOfKind(SyntaxKind.CallExpression)
          .filter((c) => calleeName(c) === 'createServer' || calleeName(c) === 'createSocket')
          .flatMap((c) => c.getArguments().filter((a) => Node.isArrowFunction(a) || Node.isFunctionExpression(a))),
      ];
      for (const handler of handlers) {
        for (const call of handler.getDescendantsOfKind(SyntaxKind.CallExpression)) {
          const name = calleeName(call);
          if (/Sync$/.test(name)) {
            note(
              call,
              `${name}() blocks the event loop: while it runs, no other client is served. Inside a connection handler, use the asynchronous version.`,
            );
          }
        }
      }
    },
  },
  {
    id: 'timeout-does-not-close',
    check(file, note) {
      const timeoutCallbacks = [
        ...listeners(file, ['timeout']).map((l) => l.callback),
        ...file
          .getDescendantsOfKind(SyntaxKind.CallExpression)
          .filter(
            (c) =>
              Node.isPropertyAccessExpression(c.getExpression()) &&
              calleeName(c) === 'setTimeout' &&
              c.getArguments().length === 2,
          )
          .map((c) => c.getArguments()[1]!)
          .filter((a) => Node.isArrowFunction(a) || Node.isFunctionExpression(a)),
      ];
      for (const callback of timeoutCallbacks) {
        if (!/\b(destroy|end|resetAndDestroy|close|reject)\s*\(/.test(callback.getText())) {
          note(
            callback,
            "A socket's 'timeout' only tells you the socket was idle; it does not close it. Call socket.destroy() (or end()) in the handler, or the silent client keeps its connection.",
          );
        }
      }
    },
  },
  {
    id: 'socket-without-error-listener',
    check(file, note) {
      for (const call of file.getDescendantsOfKind(SyntaxKind.CallExpression)) {
        if (calleeName(call) !== 'createServer') continue;
        for (const handler of call.getArguments()) {
          if (!Node.isArrowFunction(handler) && !Node.isFunctionExpression(handler)) continue;
          const socket = handler.getParameters()[0]?.getName();
          if (!socket) continue;
          const body = handler.getText();
          const listens =
            new RegExp(`\\b${socket}\\s*\\.\\s*(on|once)\\(\\s*['"]error['"]`).test(body) ||
            /\bpipeline\s*\(/.test(body);
          // Handed to another function, which may well listen for it.
          const handedOn = handler
            .getDescendantsOfKind(SyntaxKind.CallExpression)
            .some(
              (c) =>
                !c.getExpression().getText().startsWith(`${socket}.`) &&
                c.getArguments().some((a) => a.getText() === socket),
            );
          if (!listens && !handedOn) {
            note(
              handler,
              `Nothing listens for 'error' on ${socket}: one client that resets its connection (ECONNRESET) throws an uncaught error and stops the whole server. Add ${socket}.on('error', ...).`,
            );
          }
        }
      }
    },
  },
];
