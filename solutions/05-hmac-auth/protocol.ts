// Given complete in lessons/05-hmac-auth/protocol.ts: the solutions use that one file, so no copy drifts.
export * from '../../lessons/05-hmac-auth/protocol.ts';
