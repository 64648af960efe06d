import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { expectBytes, nextEvent, readExactly, readUntilEnd, resetClient, useNetKit } from '../../runner/kit/index.ts';
import { createEchoServer } from './echo-server.ts';

const kit = useNetKit();

describe('Task 1: a TCP echo server', () => {
  it('sends back the bytes a client sends', async () => {
    const client = await kit.connect(await kit.listen(createEchoServer()));
    client.write('hello');
    expectBytes(
      await readExactly(client, 5, { message: 'your server accepted the connection but never echoed "hello"' }),
      'hello',
      'the echo of "hello"',
    );
  });

  it('echoes binary data, including 0x00 bytes, unchanged', async () => {
    const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const client = await kit.connect(await kit.listen(createEchoServer()));
    client.write(payload);
    expectBytes(
      await readExactly(client, payload.length, { message: 'the echo of bytes 0x00 to 0xff did not come back' }),
      payload,
      'the echo of bytes 0x00..0xff',
    );
  });

  it('echoes 1 MiB without losing or reordering a byte', async () => {
    const payload = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    const client = await kit.connect(await kit.listen(createEchoServer()));
    client.write(payload);
    expectBytes(
      await readExactly(client, payload.length, { ms: 5_000, message: 'the 1 MiB echo did not all come back' }),
      payload,
      'the 1 MiB echo',
    );
  });

  it('serves several clients at once, each getting only its own bytes', async () => {
    const port = await kit.listen(createEchoServer());
    const clients = await Promise.all([1, 2, 3].map(() => kit.connect(port)));
    clients.forEach((c, i) => c.write(`client ${i}`));
    const echoes = await Promise.all(
      clients.map((c, i) =>
        readExactly(c, 8, { message: `client ${i} sent "client ${i}" but never got all of its echo back` }),
      ),
    );
    expect(echoes.map(String), "what each client got back: its own bytes, never another client's").toEqual([
      'client 0',
      'client 1',
      'client 2',
    ]);
  });

  it('echoes everything, then ends its side, when the client ends its side', async () => {
    const client = await kit.connect(await kit.listen(createEchoServer()));
    client.end('bye');
    expectBytes(
      await readUntilEnd(client, {
        message: 'your server echoed but never ended the connection after the client called end()',
      }),
      'bye',
      'everything the server sent before ending',
    );
  });

  it('keeps serving after a client disconnects abruptly (ECONNRESET)', async () => {
    const server = createEchoServer();
    const port = await kit.listen(server);
    const accepted = nextEvent<[Socket]>(server, 'connection');
    const rude = await kit.connect(port);
    const [serverSide] = await accepted;
    await resetClient(rude, serverSide);

    const polite = await kit.connect(port);
    polite.write('still there?');
    expectBytes(
      await readExactly(polite, 12, { message: 'your server stopped echoing after one client reset its connection' }),
      'still there?',
      'the echo after a reset',
    );
  });
});
