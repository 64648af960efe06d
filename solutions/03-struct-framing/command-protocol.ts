// Given complete in lessons/03-struct-framing/command-protocol.ts: the solutions use that one file, so no copy drifts.
export * from '../../lessons/03-struct-framing/command-protocol.ts';
