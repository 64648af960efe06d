// Lesson 03, task 5: a framed command client.
//
// Say you call the command server of task 4. You send one RUN frame, then
// read frames until the EXIT frame that ends the reply. Output can be
// anything (NUL bytes, newlines, 5 MiB): the frames say where it stops,
// so the next command's reply starts clean.
import type { Duplex } from 'node:stream';
import {
  FrameType,
  MAX_COMMAND_FRAME,
  MAX_ID_BYTES,
  RemoteCommandError,
  type CommandResult,
  type ExitStatus,
} from './command-protocol.ts';
import { FrameDecoder, encodeFrame } from './frame-codec.ts';

export interface CommandClientOptions {
  /** Fail a command whose stdout and stderr together pass this many bytes. Default 64 MiB. */
  maxOutputBytes?: number;
}

/**
 * Runs commands on a command server over one connection (a socket, or any
 * Duplex). Calls to run() are answered one at a time, in call order.
 */
export class CommandClient {
  // TODO: keep the connection, the output limit, and one iterator over the
  // frames of a FrameDecoder that the connection is piped into.

  constructor(conn: Duplex, options: CommandClientOptions = {}) {
    // TODO: conn.pipe(new FrameDecoder({ maxFrameSize: MAX_COMMAND_FRAME })),
    // pass the connection's 'error' and 'close' on to the decoder, and keep
    // decoder[Symbol.asyncIterator]() to read frames with next().
    throw new Error('TODO: write the CommandClient constructor (task 5 in lessons/03-struct-framing/README.md)');
  }

  /**
   * Runs the command `id` and resolves with its output and exit status.
   * An id that is empty or over MAX_ID_BYTES bytes of UTF-8 is refused with
   * a RangeError, and nothing is sent.
   */
  run(id: string): Promise<CommandResult> {
    // TODO: wait for the previous run() to settle; refuse an id of 0 or more
    // than MAX_ID_BYTES bytes (RangeError, nothing sent); send a RUN frame
    // (type 0x00, then the id in UTF-8); then read frames: STDOUT and STDERR
    // add output, EXIT ends the reply (parseExit), ERROR rejects with a
    // RemoteCommandError, anything else is an error.
    return Promise.reject(new Error('TODO: write CommandClient.run (task 5 in lessons/03-struct-framing/README.md)'));
  }
}

/** Parses and checks an EXIT frame's JSON: `{"code":0,"signal":null}`, maybe with a "reason". */
export function parseExit(data: Uint8Array): ExitStatus {
  // TODO: decode strict UTF-8 as parseHeader does (task 3), JSON.parse it;
  // check that it is an object whose "code" is a whole number or null, "signal" a string or null, and "reason", if
  // present, "timeout" or "output-limit". Throw an Error otherwise.
  throw new Error('TODO: write parseExit (task 5 in lessons/03-struct-framing/README.md)');
}
