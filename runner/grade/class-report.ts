// The class report for the instructor (HTML, no scripts): per-exercise pass
// rates, the score distribution as an inline SVG histogram, the most common
// failure per exercise, and the submissions that did not grade normally.
import type { GradeRecord } from './record.ts';
import { esc, num } from './reports.ts';

export function classReportHtml(records: GradeRecord[], meta: { assignment: string; isolation: string }): string {
  const sorted = [...records].sort((a, b) => (a.student < b.student ? -1 : 1));
  const percents = sorted.map((r) => (r.max > 0 ? (100 * r.raw) / r.max : 0));
  const mean = percents.length ? percents.reduce((a, b) => a + b, 0) / percents.length : 0;
  const exercises = sorted[0]?.exercises.map((e) => e.id) ?? [];
  const rows = exercises.map((id) => {
    const all = sorted.map((r) => r.exercises.find((e) => e.id === id)).filter((e) => e !== undefined);
    const first = all[0]!;
    const full = all.filter((e) => e.total + e.hiddenTotal > 0 && e.score >= e.points).length;
    const failures = new Map<string, number>();
    for (const e of all) if (e.firstFailure) failures.set(e.firstFailure, (failures.get(e.firstFailure) ?? 0) + 1);
    const common = [...failures].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    const rate = all.length ? (100 * full) / all.length : 0;
    return `<tr><td>${esc(`${first.lesson.slice(0, 2)} ${first.name}`)}</td><td>${first.task}</td><td><span class="bar" style="width:${rate.toFixed(0)}px"></span> ${rate.toFixed(0)}% (${full} of ${all.length})</td><td>${num(all.reduce((s, e) => s + e.score, 0) / Math.max(1, all.length))} of ${num(first.points)}</td><td>${common ? `${esc(common[0])} <em>(${common[1]})</em>` : '-'}</td></tr>`;
  });
  const trouble = sorted.filter((r) => r.end !== 'graded');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Class report: ${esc(meta.assignment)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:75rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}.bar{display:inline-block;height:.7rem;background:#2a7}svg text{font:11px sans-serif}</style>
</head><body>
<h1>Class report: ${esc(meta.assignment)}</h1>
<p>${sorted.length} submissions · mean score ${mean.toFixed(1)}% · isolation: ${esc(meta.isolation)}</p>
<h2>Score distribution</h2>
${histogram(percents)}
<h2>Exercises</h2>
<table><thead><tr><th>Exercise</th><th>Task</th><th>Fully passed</th><th>Mean points</th><th>Most common failure (students)</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
<h2>Timed out, crashed, refused or missing</h2>
${
  trouble.length
    ? `<ul>\n${trouble.map((r) => `<li>${esc(r.student)}: ${esc(r.end)}${r.problem ? ` (${esc(r.problem)})` : ''}</li>`).join('\n')}\n</ul>`
    : '<p>None.</p>'
}
</body></html>
`;
}

/** Ten bins of 10 percentage points (the last includes 100%), as an SVG bar chart. */
function histogram(percents: number[]): string {
  const bins = Array.from({ length: 10 }, () => 0);
  for (const p of percents) bins[Math.min(9, Math.floor(p / 10))]!++;
  const max = Math.max(1, ...bins);
  const w = 40;
  const h = 120;
  const bars = bins
    .map((n, i) => {
      const bh = Math.round((n / max) * h);
      const x = 30 + i * w;
      return `<rect x="${x + 4}" y="${h - bh + 10}" width="${w - 8}" height="${bh}" fill="#2a7"><title>${i * 10}-${i === 9 ? 100 : i * 10 + 9}%: ${n}</title></rect><text x="${x + w / 2}" y="${h + 24}" text-anchor="middle">${i * 10}</text>${n ? `<text x="${x + w / 2}" y="${h - bh + 6}" text-anchor="middle">${n}</text>` : ''}`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${30 + 10 * w + 40}" height="${h + 44}" role="img" aria-label="Score distribution: students per 10% band">${bars}<text x="${30 + 10 * w + 4}" y="${h + 24}">% score</text><line x1="30" y1="${h + 10}" x2="${30 + 10 * w}" y2="${h + 10}" stroke="#333"/></svg>`;
}
