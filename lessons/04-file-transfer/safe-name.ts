// Lesson 04, task 1: a name from the network is only a name.
//
// Say a sender asks your receiver to save "holiday.jpg". The tutorial this
// lesson grew from opened the name it was sent, as is, for writing. Then a
// sender that says "../../home/you/.bashrc" or "/etc/passwd" chooses which
// of your files gets replaced (CWE-22, path traversal). Here you decide
// where a file may go: straight inside the receiver's folder, nowhere else.
import { MAX_NAME_BYTES, TransferError } from './protocol.ts';

/**
 * Checks that `name` is a single, ordinary file name and returns the
 * absolute path `root/name`. Touches no file.
 *
 * Refused, with TransferError code 'bad-name' and a message saying why:
 * an empty name; `.` and `..`; any `/`, `\` or `:`; control characters
 * (NUL, tab, newline, DEL, ...) and broken Unicode; a leading `.`; a
 * trailing `.` or space; a Windows device name (CON, NUL, COM1.txt...);
 * more than MAX_NAME_BYTES bytes of UTF-8.
 */
export function safeTarget(root: string, name: string): string {
  // TODO: refuse each kind of bad name listed above with
  // `throw new TransferError('bad-name', <why>)`. For device names, test
  // the part before the first "." (spaces at its end removed), in any case.
  // Count bytes with
  // Buffer.byteLength(name, 'utf8') (MAX_NAME_BYTES is the limit). Then
  // resolve the path with path.resolve(root, name) and check with
  // path.relative(root, target) that it is the name itself, straight inside root.
  throw new Error('TODO: write safeTarget (task 1 in lessons/04-file-transfer/README.md)');
}
