// The review rules: each flags the mistake it names, and stays quiet on the
// correct code next to it (every reference solution passes with no note).
import { describe, expect, it } from 'vitest';
import { Project } from 'ts-morph';
import { reviewSource } from '../runner/review/rules.ts';

const project = new Project({ useInMemoryFileSystem: true });
let n = 0;
const review = (code: string) =>
  reviewSource(project.createSourceFile(`f${n++}.ts`, code)).map((note) => `${note.rule}@${note.line}`);

describe('review notes', () => {
  it("flags a 'data' chunk parsed as a whole message, not a buffered one", () => {
    expect(review(`s.on('data', (chunk) => {\n  const m = JSON.parse(chunk.toString());\n});`)).toEqual([
      'data-chunk-as-message@2',
    ]);
    expect(review(`s.on('data', (chunk) => {\n  const len = chunk.readUInt32BE(0);\n});`)).toEqual([
      'data-chunk-as-message@2',
    ]);
    expect(review(`s.on('data', (chunk) => {\n  buffered.push(chunk);\n  const m = JSON.parse(line);\n});`)).toEqual(
      [],
    );
  });

  it('flags a shell: exec(), execSync() and shell: true from child_process, but not execFile()', () => {
    const cp = `import { exec, execFile, spawn } from 'node:child_process';\n`;
    expect(review(`${cp}exec('ls ' + dir);`)).toEqual(['shell-on-input@2']);
    expect(review(`${cp}spawn('ls', [dir], { shell: true });`)).toEqual(['shell-on-input@2']);
    expect(review(`${cp}execFile('ls', [dir], { timeout: 1000 });\nspawn('ls', [dir], { shell: false });`)).toEqual([]);
  });

  it('resolves what a call reaches: aliases, namespaces and require() of child_process', () => {
    expect(review(`import { execSync as run } from 'child_process';\nrun(cmd);`)).toEqual(['shell-on-input@2']);
    expect(review(`import * as cp from 'node:child_process';\ncp.exec(cmd);`)).toEqual(['shell-on-input@2']);
    expect(review(`import cp from 'node:child_process';\ncp.spawn(cmd, [], { shell: true });`)).toEqual([
      'shell-on-input@2',
    ]);
    expect(review(`const { exec } = require('node:child_process');\nexec(cmd);`)).toEqual(['shell-on-input@2']);
  });

  it('does not take a RegExp exec() or an unrelated shell option for a shell', () => {
    expect(review(`import { exec } from 'node:child_process';\nconst m = /(\\d+)/.exec(line);`)).toEqual([]);
    expect(review(`const m = pattern.exec(line);\nexec(line);`)).toEqual([]); // exec is not child_process's here
    expect(review(`import * as cp from 'node:child_process';\nconfigure({ shell: true });`)).toEqual([]);
  });

  it('flags a digest or MAC compared with === or equals(), not a length check', () => {
    expect(review(`if (digest === expected) ok();`)).toEqual(['secret-compared-with-equals@1']);
    expect(review(`if (mac.equals(theirs)) ok();`)).toEqual(['secret-compared-with-equals@1']);
    expect(review(`if (digest.length === 32 && timingSafeEqual(digest, expected)) ok();`)).toEqual([]);
  });

  it("flags lesson 05's proofs and tags compared with ===, equals() or Buffer.compare(), not their type byte", () => {
    expect(review(`if (answer.toString('hex') === proof) ok();`)).toEqual(['secret-compared-with-equals@1']);
    expect(review(`if (received.equals(clientProof(key, hello, challenge))) ok();`)).toEqual([
      'secret-compared-with-equals@1',
    ]);
    expect(review(`if (Buffer.compare(mac, expected) === 0) ok();`)).toEqual(['secret-compared-with-equals@1']);
    expect(review(`if (tag !== expectedTag) fail();`)).toEqual(['secret-compared-with-equals@1']);
    expect(review(`if (proof[0] !== MessageType.PROOF) refuse();`)).toEqual([]);
    expect(review(`if (macEquals(clientProof(key, hello, challenge), proof.subarray(1))) ok();`)).toEqual([]);
  });

  it('flags MD5 and SHA-1, not SHA-256', () => {
    expect(review(`createHash('md5');\ncreateHmac('sha1', key);`)).toEqual(['weak-hash@1', 'weak-hash@2']);
    expect(review(`createHmac('SHA-1', secret);\nhash('md5', secret + nonce);`)).toEqual([
      'weak-hash@1',
      'weak-hash@2',
    ]);
    expect(review(`createHash('sha256');`)).toEqual([]);
  });

  it('flags a *Sync call inside a connection handler, not at start-up', () => {
    expect(
      review(
        `createServer((socket) => {\n  socket.on('error', () => {});\n  const key = scryptSync(pw, salt, 32);\n});`,
      ),
    ).toEqual(['sync-call-in-handler@3']);
    expect(
      review(
        `const config = readFileSync('c.json');\ncreateServer((socket) => {\n  socket.on('error', () => {});\n});`,
      ),
    ).toEqual([]);
  });

  it("flags a 'timeout' handler that does not close the socket", () => {
    expect(review(`socket.setTimeout(1000, () => console.log('idle'));`)).toEqual(['timeout-does-not-close@1']);
    expect(review(`socket.on('timeout', () => {\n  log('idle');\n});`)).toEqual(['timeout-does-not-close@1']);
    expect(review(`socket.on('timeout', () => socket.destroy());`)).toEqual([]);
  });

  it("flags a server whose sockets have no 'error' listener, unless handed to a function", () => {
    expect(review(`createServer((socket) => {\n  socket.pipe(socket);\n});`)).toEqual([
      'socket-without-error-listener@1',
    ]);
    expect(
      review(`createServer((socket) => {\n  socket.on('error', () => socket.destroy());\n  socket.pipe(socket);\n});`),
    ).toEqual([]);
    expect(review(`createServer((socket) => void serve(socket, settings));`)).toEqual([]);
  });
});
