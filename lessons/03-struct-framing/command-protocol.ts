// Lesson 03: the framed command protocol, shared by tasks 4 and 5.
//
// Given complete: read it, don't change it. Every frame is
// `u32be length | type byte | data`; "Wire format" in README.md says
// exactly what each type carries and who sends it.

/** The first byte of every frame's payload. */
export const FrameType = {
  /** client -> server: run the allowlisted command whose id (UTF-8) follows. */
  RUN: 0x00,
  /** server -> client: bytes the command wrote to stdout, in order. */
  STDOUT: 0x01,
  /** server -> client: bytes the command wrote to stderr, in order. */
  STDERR: 0x02,
  /** server -> client: the command ended; a JSON ExitStatus follows. Ends a reply. */
  EXIT: 0x03,
  /** server -> client: the request was refused; a UTF-8 message follows. Ends a reply. */
  ERROR: 0x04,
} as const;

/** Every frame of this protocol is at most 64 KiB: a type byte and up to 65,535 bytes of data. */
export const MAX_COMMAND_FRAME = 64 * 1024;
/** The most output one STDOUT or STDERR frame carries. */
export const MAX_OUTPUT_CHUNK = MAX_COMMAND_FRAME - 1;
/** A command id is 1 to 64 bytes of UTF-8. */
export const MAX_ID_BYTES = 64;

/** The data of an EXIT frame, as JSON: `{"code":0,"signal":null}`. */
export interface ExitStatus {
  /** The exit code, or null if the command was ended by a signal. */
  code: number | null;
  /** The signal that ended the command (e.g. "SIGKILL"), or null. */
  signal: string | null;
  /** Present when the server killed the command: it ran too long, or wrote too much. */
  reason?: 'timeout' | 'output-limit';
}

/** Everything one command sent back. */
export interface CommandResult {
  stdout: Buffer;
  stderr: Buffer;
  exit: ExitStatus;
}

/** The server refused the request; the message is the server's ERROR text. */
export class RemoteCommandError extends Error {
  override name = 'RemoteCommandError';
}
