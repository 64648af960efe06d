// Lesson 07, task 9 (challenge): SCRAM-SHA-256, so the password never crosses the wire.
//
// Say the server, or anyone who can read its traffic, should never see the
// password at all. With SCRAM (RFC 5802, with SHA-256: RFC 7677) the client
// proves it knows the password by an HMAC over the whole exchange (lesson 05
// teaches HMAC), and the server proves it knows the stored key too. The
// server keeps only StoredKey and ServerKey: neither logs anyone in.
import { createHash, createHmac, pbkdf2, timingSafeEqual } from 'node:crypto';

/** What the server stores per user instead of the password. */
export interface ScramCredentials {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text, 'utf8').digest();
const sha256 = (bytes: Buffer): Buffer => createHash('sha256').update(bytes).digest();

/** SaltedPassword = Hi(password, salt, i): PBKDF2-HMAC-SHA-256, 32 bytes. (NFC here; the RFC asks for SASLprep.) */
export function saltedPassword(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password.normalize('NFC'), salt, iterations, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** The server's stored credentials for `password`: StoredKey = H(HMAC(SP, "Client Key")), ServerKey = HMAC(SP, "Server Key"). */
export async function scramCredentials(password: string, salt: Buffer, iterations: number): Promise<ScramCredentials> {
  const salted = await saltedPassword(password, salt, iterations);
  return { salt, iterations, storedKey: sha256(hmac(salted, 'Client Key')), serverKey: hmac(salted, 'Server Key') };
}

/** The client's first message: `n,,n=<user>,r=<nonce>` (the gs2 header `n,,` says: no channel binding). */
export function clientFirstMessage(user: string, clientNonce: string): string {
  return `n,,n=${user.replaceAll('=', '=3D').replaceAll(',', '=2C')},r=${clientNonce}`;
}

/** The client's reply to the server's first message, and the server signature it must then receive. */
export async function clientFinalMessage(
  password: string,
  clientFirst: string,
  serverFirst: string,
): Promise<{ message: string; serverSignature: string }> {
  const fields = parseFields(serverFirst);
  const nonce = fields.get('r');
  const salt = fields.get('s');
  const iterations = Number(fields.get('i'));
  const clientNonce = parseFields(bare(clientFirst)).get('r');
  if (!nonce || !salt || !clientNonce || !nonce.startsWith(clientNonce) || !Number.isInteger(iterations)) {
    throw new Error('the server-first message is not valid SCRAM');
  }
  if (iterations < 4096) throw new Error('the server asks for fewer than 4096 iterations (RFC 7677)');
  const salted = await saltedPassword(password, Buffer.from(salt, 'base64'), iterations);
  const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce}`;
  const authMessage = `${bare(clientFirst)},${serverFirst},${withoutProof}`;
  const clientKey = hmac(salted, 'Client Key');
  const proof = xor(clientKey, hmac(sha256(clientKey), authMessage));
  const serverSignature = hmac(hmac(salted, 'Server Key'), authMessage).toString('base64');
  return { message: `${withoutProof},p=${proof.toString('base64')}`, serverSignature };
}

/** The server's first message: the client's nonce plus its own, the salt and the iteration count. */
export function serverFirstMessage(clientFirst: string, credentials: ScramCredentials, serverNonce: string): string {
  const clientNonce = parseFields(bare(clientFirst)).get('r');
  if (!clientFirst.startsWith('n,,') || !clientNonce) throw new Error('the client-first message is not valid SCRAM');
  return `r=${clientNonce}${serverNonce},s=${credentials.salt.toString('base64')},i=${credentials.iterations}`;
}

/**
 * Checks the client's proof. On success returns the server's final message
 * `v=<ServerSignature>`; on any mismatch (nonce, channel binding, proof), null.
 */
export function verifyClientFinal(
  credentials: ScramCredentials,
  clientFirst: string,
  serverFirst: string,
  clientFinal: string,
): string | null {
  const proofAt = clientFinal.lastIndexOf(',p=');
  if (proofAt < 0) return null;
  const withoutProof = clientFinal.slice(0, proofAt);
  const fields = parseFields(withoutProof);
  if (fields.get('c') !== 'biws' || fields.get('r') !== parseFields(serverFirst).get('r')) return null;
  const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
  if (proof.length !== 32) return null;
  const authMessage = `${bare(clientFirst)},${serverFirst},${withoutProof}`;
  const clientKey = xor(proof, hmac(credentials.storedKey, authMessage));
  if (!timingSafeEqual(sha256(clientKey), credentials.storedKey)) return null;
  return `v=${hmac(credentials.serverKey, authMessage).toString('base64')}`;
}

/** client-first-message-bare: the first message without its gs2 header `n,,`. */
function bare(clientFirst: string): string {
  return clientFirst.startsWith('n,,') ? clientFirst.slice(3) : clientFirst;
}

/** `a=1,b=2` as a Map; a value may itself hold `=`. */
function parseFields(message: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) fields.set(part[0]!, part.slice(2));
  }
  return fields;
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
