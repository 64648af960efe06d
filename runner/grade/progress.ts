// Progress while grading: on a terminal, one line redrawn in place (a bar,
// counts, ETA); otherwise (CI, a log file) one plain line per submission.
import type { Progress } from './run.ts';
import type { GradeRecord } from './record.ts';
import { num } from './reports.ts';

export function createProgress(stream: NodeJS.WriteStream = process.stdout): Progress {
  const tty = stream.isTTY === true && process.env.TERM !== 'dumb' && !process.env.CI;
  let total = 0;
  let done = 0;
  let trouble = 0;
  let started = 0;
  const line = (): string => {
    const width = 24;
    const filled = total ? Math.round((done / total) * width) : width;
    const elapsed = (performance.now() - started) / 1000;
    const eta = done > 0 ? ((total - done) * elapsed) / done : undefined;
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} graded${trouble ? `, ${trouble} timed out/crashed` : ''}${eta === undefined ? '' : `, ETA ${clock(eta)}`}`;
  };
  return {
    start(count, skipped) {
      total = count;
      started = performance.now();
      stream.write(
        `Grading ${count} submissions${skipped ? ` (${skipped} already graded and unchanged: skipped)` : ''}.\n`,
      );
      if (tty) stream.write(line());
    },
    done(record: GradeRecord) {
      done++;
      if (record.end !== 'graded') trouble++;
      const text = `${record.student}: ${num(record.raw)} of ${num(record.max)}${record.end === 'graded' ? '' : ` (${record.end})`}`;
      if (tty) stream.write(`\r\x1b[2K${text}\n${line()}`);
      else stream.write(`${text} [${done}/${total}]\n`);
    },
    finish(reused) {
      if (tty) stream.write('\r\x1b[2K');
      const shared = reused
        ? ` (${reused} ${reused === 1 ? 'lesson was' : 'lessons were'} the same files as in another submission: graded once)`
        : '';
      stream.write(`Done: ${done} graded in ${clock((performance.now() - started) / 1000)}${shared}.\n`);
    },
  };
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
