// Feeding a decoder stream chosen chunks, for tests of decoders written as
// Transform streams (lesson 03's FrameDecoder and MessageDecoder).
import type { Duplex } from 'node:stream';
import { withDeadline } from './deadline.ts';

export interface Decoded<T> {
  /** Everything the decoder pushed, in order. */
  outputs: T[];
  /** The error the decoder emitted, if it failed. */
  error: Error | undefined;
}

/**
 * Writes `chunks` into `decoder` one write each, ends it, and resolves with
 * what it pushed and the error it emitted, if any. Stops writing once the
 * decoder is destroyed. `name` names the decoder in the deadline message.
 */
export async function decodeAll<T>(
  decoder: Duplex,
  chunks: readonly Uint8Array[],
  name = 'decoder',
): Promise<Decoded<T>> {
  const outputs: T[] = [];
  const done = new Promise<Error | undefined>((resolve) => {
    decoder.on('data', (output: T) => outputs.push(output));
    decoder.on('end', () => resolve(undefined));
    decoder.on('error', (e: Error) => resolve(e));
  });
  for (const chunk of chunks) {
    if (decoder.destroyed) break;
    decoder.write(chunk);
  }
  if (!decoder.destroyed) decoder.end();
  const error = await withDeadline(done, {
    message: `your ${name} never finished: after end() it emitted neither 'end' nor 'error' (do _transform and _flush always call their callback?)`,
  });
  return { outputs, error };
}
