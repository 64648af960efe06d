// Lesson 04, task 1: a name from the network is only a name.
//
// Say a sender asks your receiver to save "holiday.jpg". The tutorial this
// lesson grew from opened the name it was sent, as is, for writing. Then a
// sender that says "../../home/you/.bashrc" or "/etc/passwd" chooses which
// of your files gets replaced (CWE-22, path traversal). Here you decide
// where a file may go: straight inside the receiver's folder, nowhere else.
import { isAbsolute, relative, resolve } from 'node:path';
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
  const problem = nameProblem(name);
  if (problem) throw new TransferError('bad-name', `the name ${JSON.stringify(name)} is refused: ${problem}`);

  // Belt and braces: whatever the rules above might miss, the path must be
  // a direct child of root. relative() says how to get there from root;
  // for a safe name that is the name itself, never '', '..' or '/...'.
  const base = resolve(root);
  const target = resolve(base, name);
  const rel = relative(base, target);
  if (rel !== name || rel.startsWith('..') || isAbsolute(rel)) {
    throw new TransferError(
      'bad-name',
      `the name ${JSON.stringify(name)} is refused: it leads outside the receiver's folder`,
    );
  }
  return target;
}

/** Windows device names, any case (ASCII only: the i flag without u), COM¹-COM³ and LPT¹-LPT³ too. */
const WINDOWS_DEVICE = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;

/** Why `name` is not a safe file name, or '' when it is. */
function nameProblem(name: string): string {
  if (name === '') return 'it is empty';
  if (name === '.' || name === '..') return 'it names a folder ("." or ".."), not a file';
  if (/[/\\]/.test(name)) return 'it contains a path separator ("/" or "\\"), so it is a path, not a name';
  if (name.includes(':')) return 'it contains ":" (a drive letter such as C: on Windows)';
  // \p{Cc}: control characters (U+0000-U+001F, U+007F-U+009F) such as NUL,
  // which C-based file APIs read as the end of the name. \p{Cs}: half of a
  // UTF-16 pair alone, which has no UTF-8 form.
  if (/[\p{Cc}\p{Cs}]/u.test(name)) return 'it contains a control character (NUL, tab, newline...) or broken Unicode';
  if (name.startsWith('.')) return 'it starts with ".", the mark of a hidden file';
  if (/[. ]$/.test(name)) return 'it ends with "." or a space, which Windows silently drops';
  // Windows opens a device, not a file, for these names, whatever the
  // extension or case ("nul.txt", "Com1.tar.gz"), so a file saved under one
  // here could never be copied there. The part before the first "." counts.
  if (WINDOWS_DEVICE.test(name.split('.')[0]!.replace(/ +$/, '')))
    return 'it is a Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9), which no Windows program can open as a file';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) return `it is ${bytes} bytes long in UTF-8; the limit is ${MAX_NAME_BYTES}`;
  return '';
}
