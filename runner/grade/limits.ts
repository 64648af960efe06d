// The limits around a submission's child process: what isolation this
// machine allows, the memory its whole process group uses, and killing
// that group (detached spawn, kill(-pid)) so nothing it started lives on.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

/**
 * 'namespace': unshare(1) made a user, mount, PID and network namespace
 * without privileges: the file system is read-only but for the submission's
 * copy, instructor files are hidden, and only loopback networking exists.
 * 'process': none of that could be made; the child still runs in its own
 * copy and process group, with its time and memory limits.
 */
export type Isolation = 'namespace' | 'process';

export const UNSHARE_ARGS = [
  '--user',
  '--map-root-user',
  '--mount',
  '--net',
  '--pid',
  '--fork',
  '--kill-child',
  '--mount-proc',
];

let probed: Isolation | undefined;

/** What this machine allows; WORKBOOK_GRADE_ISOLATION=process forces the fallback. */
export function availableIsolation(): Isolation {
  if (process.env.WORKBOOK_GRADE_ISOLATION === 'process' || process.platform !== 'linux') return 'process';
  probed ??=
    spawnSync(
      'unshare',
      [
        ...UNSHARE_ARGS,
        'sh',
        '-c',
        'mount --make-rprivate / && mount -o remount,bind,ro / && ip link set lo up && mount -t tmpfs none /dev/shm',
      ],
      { stdio: 'ignore', timeout: 10_000 },
    ).status === 0
      ? 'namespace'
      : 'process';
  return probed;
}

export function describeIsolation(isolation: Isolation): string {
  return isolation === 'namespace'
    ? 'user+mount+PID+network namespaces (unshare): read-only file system except the copy, instructor files hidden, loopback only'
    : 'own copy and process group only (unshare could not make namespaces here): network and file system are NOT restricted';
}

/**
 * Submissions graded at once by default: two per core, as a check keeps
 * less than one core busy (its tests mostly wait on sockets and timers;
 * measured in docs/GRADING.md), and at most one per 2 GiB of memory.
 */
export function defaultJobs(): number {
  return Math.max(1, Math.min(2 * availableParallelism(), Math.floor(totalmem() / 2 ** 31)));
}

const PAGE = 4096;

/** The resident memory, in bytes, of every process in process group `pgid` (Linux; 0 elsewhere). */
export function groupMemory(pgid: number): number {
  let total = 0;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) total += Number(fields[21]) * PAGE;
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

/** Kills process group `pgid`, ignoring a group that is already gone. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
