// Lesson tests import the kit from runner/kit/index.ts only: a helper added
// to a kit module but not re-exported there is invisible to them.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as kit from '../../runner/kit/index.ts';

const kitDir = new URL('../../runner/kit/', import.meta.url);

// Exports that are internals of their module, deliberately kept out of index.ts.
const internal = new Set(['bytes.ts:hexLine']);

const modules = readdirSync(kitDir)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && file !== 'index.ts')
  .sort();

describe('runner/kit/index.ts', () => {
  it('has the kit modules to check', () => {
    expect(modules).toEqual(
      expect.arrayContaining(['bytes.ts', 'chunk.ts', 'deadline.ts', 'net.ts', 'proxy.ts', 'scripted.ts']),
    );
  });

  it.each(modules)('re-exports everything %s exports', async (file) => {
    const module = (await import(new URL(file, kitDir).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      if (internal.has(`${file}:${name}`)) continue;
      expect(kit, `index.ts does not export ${name} from ${file}`).toHaveProperty(name, value);
    }
  });
});
