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

/** SaltedPassword = Hi(password, salt, i): PBKDF2-HMAC-SHA-256, 32 bytes. (NFC here; the RFC asks for SASLprep.) */
export function saltedPassword(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  // TODO: crypto.pbkdf2 (the callback one) with 'sha256', in a Promise.
  throw new Error('TODO: write saltedPassword (task 9 in lessons/07-login/README.md)');
}

/** The server's stored credentials for `password`: StoredKey = H(HMAC(SP, "Client Key")), ServerKey = HMAC(SP, "Server Key"). */
export async function scramCredentials(password: string, salt: Buffer, iterations: number): Promise<ScramCredentials> {
  throw new Error('TODO: write scramCredentials (task 9 in lessons/07-login/README.md)');
}

/** The client's first message: `n,,n=<user>,r=<nonce>` (the gs2 header `n,,` says: no channel binding). */
export function clientFirstMessage(user: string, clientNonce: string): string {
  // TODO: in the name, '=' becomes '=3D' and ',' becomes '=2C'.
  throw new Error('TODO: write clientFirstMessage (task 9 in lessons/07-login/README.md)');
}

/** The client's reply to the server's first message, and the server signature it must then receive. */
export async function clientFinalMessage(
  password: string,
  clientFirst: string,
  serverFirst: string,
): Promise<{ message: string; serverSignature: string }> {
  // TODO: the steps of RFC 5802 section 3, as task 9 lists them. Refuse i < 4096.
  throw new Error('TODO: write clientFinalMessage (task 9 in lessons/07-login/README.md)');
}

/** The server's first message: the client's nonce plus its own, the salt and the iteration count. */
export function serverFirstMessage(clientFirst: string, credentials: ScramCredentials, serverNonce: string): string {
  throw new Error('TODO: write serverFirstMessage (task 9 in lessons/07-login/README.md)');
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
  // TODO: recompute AuthMessage; ClientKey = proof XOR HMAC(StoredKey, AuthMessage);
  // accept if timingSafeEqual(SHA-256(ClientKey), StoredKey).
  throw new Error('TODO: write verifyClientFinal (task 9 in lessons/07-login/README.md)');
}
