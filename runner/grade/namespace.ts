// The shell script a submission's check starts with inside its user,
// mount, PID and network namespaces (runner/grade/limits.ts says when the
// machine allows them): loopback up; instructor paths, /dev/shm and the
// other copies hidden under empty tmpfs; the template's pristine tree
// mounted read-only into this copy; the whole file system read-only except
// this copy's home, tmp and out. Then the check is exec'd.
import { lstatSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { SandboxPlan } from './sandbox.ts';

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function namespaceScript(plan: SandboxPlan, copy: string, tree: 'proj' | 'hidden'): string {
  // The hidden run runs the copy's runner (proj/) on the hidden tree.
  const trees = tree === 'hidden' ? ['proj', 'hidden'] : ['proj'];
  const lines = [
    'set -e',
    'ip link set lo up',
    'mount --make-rprivate /',
    // Descriptors keep the copy and the template reachable once their paths are under a tmpfs.
    `exec 3< ${quote(copy)}`,
    ...trees.map((t, i) => `exec ${5 + i}< ${quote(join(plan.template, t))}`),
  ];
  for (const mask of plan.masks) {
    const stat = lstatOrUndefined(mask);
    if (!stat || relative(mask, copy) === '' || !relative(mask, plan.base).startsWith('..')) continue;
    if (stat.isDirectory()) lines.push(`mount -t tmpfs -o size=16k,mode=755 none ${quote(mask)}`);
    else if (stat.isFile()) lines.push(`mount --bind /dev/null ${quote(mask)}`);
  }
  lines.push(
    'mount -t tmpfs -o size=16k none /dev/shm',
    `mount -t tmpfs -o size=16k none ${quote(plan.base)}`,
    `mkdir -p ${quote(copy)}`,
    `mount --no-canonicalize --bind /proc/self/fd/3 ${quote(copy)}`,
    'exec 3<&-',
    `cd ${quote(copy)}`,
    ...trees.flatMap((t, i) => [`mount --no-canonicalize --bind /proc/self/fd/${5 + i} ${t}`, `exec ${5 + i}<&-`]),
    'mount -o remount,bind,ro /',
    ...trees.map((t) => `mount -o remount,bind,ro ${t}`),
    // The submission's files too: one lesson's code cannot rewrite another's while the tests run.
    'mount --bind -o ro submission submission',
    'mount -o remount,bind,ro /sys 2>/dev/null || true',
  );
  return lines.join('\n');
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
