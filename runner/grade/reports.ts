// The files a grading run writes: the gradebook (nbgrader's columns, then a
// column per lesson), and per student JUnit XML and feedback in Markdown
// and HTML. Feedback shows the visible tests as `workbook check` explains
// them; hidden tests appear only as "N hidden tests: M passed".
import type { GradeRecord } from './record.ts';

export interface GradebookMeta {
  assignment: string;
  lessons: string[];
}

const END_SENTENCE: Record<GradeRecord['end'], string> = {
  graded: '',
  timeout: 'Grading stopped: your submission did not finish within the time limit (an endless loop?).',
  memory: 'Grading stopped: your submission used more memory than it may.',
  crashed: 'Grading stopped: the tests could not run on your submission.',
  missing: 'No submission was found.',
  refused: 'Your archive was refused',
};

export function gradebookCsv(records: GradeRecord[], meta: GradebookMeta): string {
  const header = [
    'assignment',
    'timestamp',
    'student_id',
    'raw_score',
    'max_score',
    'score',
    ...meta.lessons,
    'status',
  ];
  const rows = [...records]
    .sort((a, b) => (a.student < b.student ? -1 : a.student > b.student ? 1 : 0))
    .map((r) => [
      meta.assignment,
      r.timestamp,
      r.student,
      num(r.raw),
      num(r.max),
      num(r.raw),
      ...meta.lessons.map((l) => num(r.lessons[l]?.score ?? 0)),
      r.end,
    ]);
  return [header, ...rows].map((cells) => cells.map(csvCell).join(',')).join('\n') + '\n';
}

export function num(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One sentence on why grading ended early, for the student. */
export function endSentence(record: GradeRecord): string {
  if (record.end === 'refused') return `${END_SENTENCE.refused}: ${record.problem ?? ''}`;
  const during = record.stoppedDuring ?? [];
  if (during.length === 0) return END_SENTENCE[record.end];
  const lessons = [...new Set(during.map((id) => id.split('/')[0]!))];
  return `${END_SENTENCE[record.end]} It stopped during ${lessons.length > 1 ? 'lessons' : 'lesson'} ${lessons.join(', ')}; the tests that finished before count.`;
}

function hiddenLine(e: { hiddenTotal: number; hiddenPassed: number }): string {
  return e.hiddenTotal > 0 ? `${e.hiddenTotal} hidden tests: ${e.hiddenPassed} passed` : '';
}

export function feedbackMarkdown(record: GradeRecord, assignment: string, report: string): string {
  const lines = [
    `# Feedback for ${record.student}`,
    '',
    `Assignment: ${assignment} · submitted ${record.timestamp} · score ${num(record.raw)} of ${num(record.max)}`,
    '',
  ];
  const end = endSentence(record);
  if (end) lines.push(`**${end}**`, '');
  lines.push('| Exercise | Tests passed | Hidden tests | Points |', '| --- | --- | --- | --- |');
  for (const e of record.exercises)
    lines.push(
      `| ${e.lesson.slice(0, 2)} ${e.name}: ${mdCell(e.title)} | ${e.passed} of ${e.total} | ${hiddenLine(e) || '-'} | ${num(e.score)} of ${num(e.points)} |`,
    );
  if (report.trim()) lines.push('', '## What the tests said', '', '```text', report.trimEnd(), '```');
  return lines.join('\n') + '\n';
}

function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function feedbackHtml(record: GradeRecord, assignment: string, report: string): string {
  const end = endSentence(record);
  const rows = record.exercises
    .map(
      (e) =>
        `<tr class="${e.score >= e.points && e.points > 0 ? 'pass' : 'fail'}"><td>${esc(`${e.lesson.slice(0, 2)} ${e.name}: ${e.title}`)}</td><td>${e.passed} of ${e.total}</td><td>${esc(hiddenLine(e) || '-')}</td><td>${num(e.score)} of ${num(e.points)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Feedback for ${esc(record.student)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}tr.pass td:first-child{border-left:4px solid #2a2}tr.fail td:first-child{border-left:4px solid #c33}pre{background:#f6f6f6;padding:1rem;overflow:auto;white-space:pre-wrap}</style>
</head><body>
<h1>Feedback for ${esc(record.student)}</h1>
<p>Assignment: ${esc(assignment)} · submitted ${esc(record.timestamp)} · score <strong>${num(record.raw)} of ${num(record.max)}</strong></p>
${end ? `<p><strong>${esc(end)}</strong></p>\n` : ''}<table><thead><tr><th>Exercise</th><th>Tests passed</th><th>Hidden tests</th><th>Points</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${report.trim() ? `<h2>What the tests said</h2>\n<pre>${esc(report.trimEnd())}</pre>\n` : ''}</body></html>
`;
}

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JUnit XML: a suite per exercise; the hidden tests as one case that names only their count. */
export function junitXml(
  record: GradeRecord,
  tests: Array<{ name: string; status: string; message?: string }>,
): string {
  const suites = record.exercises.map((e) => {
    const mine = tests.filter((t) => t.name.startsWith(`${e.id} > `));
    const cases = mine.map((t) => {
      const name = attr(t.name.slice(e.id.length + 3));
      if (t.status === 'pass') return `    <testcase classname="${attr(e.id)}" name="${name}"/>`;
      const tag = t.status === 'error' ? 'error' : 'failure';
      const message = t.message ?? t.status;
      return `    <testcase classname="${attr(e.id)}" name="${name}">\n      <${tag} message="${attr(message.split('\n')[0]!)}">${esc(xmlSafe(message))}</${tag}>\n    </testcase>`;
    });
    if (e.hiddenTotal > 0) {
      const name = attr(hiddenLine(e));
      cases.push(
        e.hiddenPassed === e.hiddenTotal
          ? `    <testcase classname="${attr(e.id)}" name="${name}"/>`
          : `    <testcase classname="${attr(e.id)}" name="${name}">\n      <failure message="${name}"/>\n    </testcase>`,
      );
    }
    if (mine.length === 0) {
      const why = endSentence(record) || 'the tests did not run (the file may be missing or not parse)';
      cases.push(
        `    <testcase classname="${attr(e.id)}" name="the tests run">\n      <error message="${attr(why)}"/>\n    </testcase>`,
      );
    }
    const failures = cases.filter((c) => c.includes('<failure')).length;
    const errors = cases.filter((c) => c.includes('<error')).length;
    return `  <testsuite name="${attr(e.id)}" tests="${cases.length}" failures="${failures}" errors="${errors}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${attr(record.student)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

function attr(text: string): string {
  return esc(xmlSafe(text)).replace(/\n/g, '&#10;');
}

/** XML 1.0 cannot hold most control characters, even escaped. */
function xmlSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '?');
}
