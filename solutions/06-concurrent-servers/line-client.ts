// Given complete in lessons/06-concurrent-servers/line-client.ts: the solutions use that one file, so no copy drifts.
export * from '../../lessons/06-concurrent-servers/line-client.ts';
