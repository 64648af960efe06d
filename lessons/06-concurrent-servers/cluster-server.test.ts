import cluster from 'node:cluster';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HOST, expectBytes, nextEvent, useNetKit, withDeadline } from '../../runner/kit/index.ts';
import { type RunningCluster, startCluster } from './cluster-server.ts';
import { LineClient } from './line-client.ts';

const kit = useNetKit();

// The given worker program, always the copy in lessons/.
const workerFile = fileURLToPath(new URL('./cluster-worker.ts', import.meta.url));
// Starting a Node process with tsx takes a second or more on a busy machine.
const START_MS = 20_000;
const TEST_MS = 60_000;

// Cluster workers are child processes: none may outlive its test. Kill
// every one, with the restart listeners removed first so that nothing
// starts a new one; bounded, in case code under test forks again.
afterEach(async () => {
  for (let round = 0; round < 20; round++) {
    cluster.removeAllListeners('exit');
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    if (workers.length === 0) return;
    for (const worker of workers) worker.removeAllListeners('exit');
    await Promise.all(
      workers.map((worker) => {
        const exited = new Promise((resolve) => worker.process.once('exit', resolve));
        worker.process.kill('SIGKILL');
        return withDeadline(exited, { ms: 2_000 }).catch(() => {});
      }),
    );
  }
});

async function start(workers: number): Promise<RunningCluster> {
  return withDeadline(startCluster({ workerFile, workers }), {
    ms: START_MS,
    message: `startCluster({ workers: ${workers} }) never resolved: resolve once every worker has sent 'listening'`,
  });
}

async function client(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<LineClient> {
  return new LineClient(await kit.connect(port, options));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Task 7: every core with node:cluster', () => {
  it('starts the workers on one port, and spreads the clients over them', { timeout: TEST_MS }, async () => {
    const running = await start(2);
    const pids = running.pids();
    expect(pids.length, 'startCluster({ workers: 2 }) must start two workers').toBe(2);
    const clients = await Promise.all(Array.from({ length: 6 }, () => client(running.port)));
    expectBytes(await clients[0]!.ask('hello'), 'HELLO\n', 'the reply to "hello" from a worker');
    const servedBy = new Set(await Promise.all(clients.map(async (c) => Number(String(await c.ask('PID'))))));
    expect([...servedBy].sort(), 'six clients must be served by the two workers, each by one of them').toEqual(
      [...pids].sort(),
    );
  });

  it('restarts a worker that crashes, on the same port', { timeout: TEST_MS }, async () => {
    const running = await start(2);
    const [victim, survivor] = running.pids() as [number, number];
    const clients = await Promise.all(Array.from({ length: 4 }, () => client(running.port)));
    const pidOf = await Promise.all(clients.map(async (c) => Number(String(await c.ask('PID')))));
    const replaced = nextEvent(cluster, 'listening', {
      ms: START_MS,
      message: 'a worker was killed, and no new worker started listening: fork a replacement on its exit',
    });
    process.kill(victim, 'SIGKILL');
    await replaced;
    const now = running.pids();
    expect(now.length, 'after one crash and its restart there must be two workers again').toBe(2);
    expect(now, 'the killed worker is still listed in pids()').not.toContain(victim);
    expect(running.restarts(), 'restarts() must count the replaced worker').toBe(1);
    // A client of the surviving worker never noticed.
    const survivorClient = clients[pidOf.indexOf(survivor)];
    if (survivorClient) expectBytes(await survivorClient.ask('still here'), 'STILL HERE\n', "the survivor's reply");
    // New clients reach both workers, the new one included.
    const fresh = await Promise.all(Array.from({ length: 4 }, () => client(running.port)));
    const servedBy = new Set(await Promise.all(fresh.map(async (c) => Number(String(await c.ask('PID'))))));
    expect([...servedBy].sort(), 'new clients must be served by the survivor and the new worker').toEqual(
      [...now].sort(),
    );
  });

  it('shuts down gracefully: clients get FIN, no worker outlives it, none is restarted', {
    timeout: TEST_MS,
  }, async () => {
    const running = await start(2);
    const pids = running.pids();
    const idle = await client(running.port);
    await idle.ask('hi');
    await withDeadline(running.shutdown(10_000), {
      ms: 15_000,
      message: 'shutdown(10_000) never resolved: resolve once every worker has exited',
    });
    await idle.closed({ message: 'the cluster shut down, but an idle client was never ended' });
    expect(idle.endedBy, 'a drained worker ends its idle clients with FIN').toBe('end');
    expect(pids.filter(isAlive), 'these workers still run after shutdown() resolved').toEqual([]);
    expect(running.restarts(), 'a worker that exits during shutdown must not be restarted').toBe(0);
    expect(Object.keys(cluster.workers ?? {}).length, 'a worker was started during shutdown').toBe(0);
    const refused = kit.track(connect({ host: HOST, port: running.port }));
    const [error] = await nextEvent<[NodeJS.ErrnoException]>(refused, 'error', {
      message: 'after shutdown a client could still connect',
    });
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('kills, at the deadline, a worker whose client never lets go', { timeout: TEST_MS }, async () => {
    const running = await start(1);
    const [pid] = running.pids() as [number];
    // allowHalfOpen: this client never answers the worker's FIN with its
    // own, so the worker's connection never closes by itself.
    const stubborn = await client(running.port, { allowHalfOpen: true });
    await stubborn.ask('hi');
    await withDeadline(running.shutdown(300), {
      ms: 10_000,
      message: 'shutdown(300) never resolved: kill the workers still running at the deadline',
    });
    expect(isAlive(pid), 'the worker still runs after shutdown() resolved').toBe(false);
  });

  it('rejects, and restarts nothing, when the worker program cannot start', { timeout: TEST_MS }, async () => {
    const missing = fileURLToPath(new URL('./no-such-worker.ts', import.meta.url));
    let forks = 0;
    cluster.on('fork', () => forks++);
    const outcome = await withDeadline(
      startCluster({ workerFile: missing, workers: 2 }).then(
        () => 'it resolved',
        (error: unknown) => error,
      ),
      { ms: START_MS, message: 'startCluster with a worker file that does not exist never settled' },
    );
    expect(forks, 'startCluster never started a worker').toBeGreaterThan(0);
    expect(outcome instanceof Error, 'startCluster must reject when its workers exit before listening').toBe(true);
    // Polling for the processes to be gone (bounded: 5 s): a worker that
    // never listened must not be replaced, or this would go on for ever.
    for (let i = 0; i < 50 && Object.keys(cluster.workers ?? {}).length > 0; i++) await sleep(100);
    expect(
      Object.keys(cluster.workers ?? {}).length,
      'workers that could not start were started again: restart only a worker that had listened',
    ).toBe(0);
  });

  it('refuses workers: 0 with a RangeError', async () => {
    const outcome = await startCluster({ workerFile, workers: 0 }).then(
      () => 'it resolved',
      (error: unknown) => error,
    );
    expect(outcome instanceof RangeError, 'startCluster({ workers: 0 }) must reject with a RangeError').toBe(true);
  });
});
