// Given complete in lessons/07-login/protocol.ts: the solutions use that one file, so no copy drifts.
export * from '../../lessons/07-login/protocol.ts';
