// resetClient: resets a connection from the client's side and waits for the
// server to notice, after checking that the server can survive it.
import type { Socket } from 'node:net';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { nextEvent, resetClient, useNetKit } from '../../runner/kit/index.ts';

const kit = useNetKit();

async function connection(withErrorListener: boolean): Promise<{ client: Socket; serverSide: Socket }> {
  const server = createServer((socket) => {
    if (withErrorListener) socket.on('error', () => {});
  });
  const accepted = nextEvent<[Socket]>(server, 'connection');
  const client = await kit.connect(await kit.listen(server));
  const [serverSide] = await accepted;
  return { client, serverSide };
}

describe('resetClient', () => {
  it("resets the client's side and resolves once the server's side closed", async () => {
    const { client, serverSide } = await connection(true);
    let error: (Error & { code?: string }) | undefined;
    serverSide.on('error', (e) => (error = e));
    await resetClient(client, serverSide);
    expect(serverSide.destroyed).toBe(true);
    expect(error?.code).toBe('ECONNRESET');
  });

  it("fails, saying why, when the server has no 'error' listener on the socket", async () => {
    const { client, serverSide } = await connection(false);
    await expect(resetClient(client, serverSide)).rejects.toThrow(
      "your server does not listen for 'error' on the client's socket",
    );
  });
});
