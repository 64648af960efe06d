// The interop harness itself: a peer's output comes back whole, a first line
// is seen as soon as it is printed, and a peer that hangs is ended.
import { expect, it } from 'vitest';
import { describeWithPython, runPeer, startPeer } from './python.ts';

describeWithPython('the Python interop harness', () => {
  it('runs a peer and returns what it printed', async () => {
    const result = await runPeer('selftest.py', ['hello', 'there'], { input: 'from stdin\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hello there\nfrom stdin\n');
  });

  it('resolves with the first line of a peer that keeps running, and stops it', async () => {
    const peer = await startPeer('selftest.py', ['port 1234']);
    expect(peer.firstLine).toBe('port 1234');
    peer.stop();
    const result = await peer.done;
    expect(result.code === 0 || result.signal === 'SIGKILL').toBe(true);
  });
});
