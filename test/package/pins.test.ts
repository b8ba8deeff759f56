// Every dependency is pinned to one exact version, so a clean clone installs what was tested.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

it('package.json pins every dependency exactly', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const all: Record<string, string> = { ...pkg.dependencies, ...pkg.devDependencies };
  const loose = Object.entries(all).filter(([, v]) => !/^\d+\.\d+\.\d+$/.test(v));
  expect(loose).toEqual([]);
});
