// Lesson 05, task 3: proofs bound to a role and a transcript.
//
// Say each side proves itself with HMAC(key, the other side's nonce). Then
// anyone can make one side prove for them: send it the nonce they were
// challenged with, and pass its answer on (a reflection). Or record an
// answer and play it again later (a replay). A proof that names who made
// it and covers every byte both sides said so far can do neither.
import { hmacSha256 } from './hmac.ts';
import { CLIENT_LABEL, SERVER_LABEL } from './protocol.ts';

/** The client's proof: HMAC-SHA-256(key, "l05 client proof" | hello | challenge). */
export function clientProof(key: Uint8Array, hello: Uint8Array, challenge: Uint8Array): Buffer {
  return hmacSha256(key, Buffer.concat([CLIENT_LABEL, hello, challenge]));
}

/** The server's proof: HMAC-SHA-256(key, "l05 server proof" | hello | challenge). */
export function serverProof(key: Uint8Array, hello: Uint8Array, challenge: Uint8Array): Buffer {
  return hmacSha256(key, Buffer.concat([SERVER_LABEL, hello, challenge]));
}
