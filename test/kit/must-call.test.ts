// mustCall fails the test that made it unless the callback ran exactly the
// number of times asked for (it.fails: those tests pass only if they fail).
import { describe, expect, it } from 'vitest';
import { mustCall, mustNotCall } from '../../runner/kit/index.ts';

describe('mustCall', () => {
  it('passes a callback through, with its arguments and result', () => {
    const add = mustCall((a: number, b: number) => a + b, 2);
    expect(add(1, 2)).toBe(3);
    expect(add(3, 4)).toBe(7);
  });

  it('accepts zero calls when asked for zero', () => {
    mustCall(() => {}, 0);
  });

  it('refuses a count that is not a whole number', () => {
    expect(() => mustCall(() => {}, -1)).toThrow(RangeError);
    expect(() => mustCall(() => {}, 1.5)).toThrow(RangeError);
  });

  it.fails('fails the test when the callback is called too few times', () => {
    const cb = mustCall(function onReply() {}, 2);
    cb();
  });

  it.fails('fails the test when the callback is called too many times', () => {
    const cb = mustCall(() => {}, 1);
    cb();
    cb();
  });

  it('mustNotCall throws when called', () => {
    expect(() => mustNotCall('the error listener')()).toThrow('the error listener must not be called');
  });
});
