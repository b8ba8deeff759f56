// The files the README and the docs point readers to exist (code moves; the docs must follow).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

it('every src/, test/ and bench/ file named in README.md, docs/api.md, docs/architecture.md and bench/README.md exists', () => {
  const missing: string[] = [];
  for (const doc of ['README.md', 'docs/api.md', 'docs/architecture.md', 'bench/README.md']) {
    const text = readFileSync(path.join(ROOT, doc), 'utf8');
    for (const m of text.matchAll(/\b(?:src|test|bench)\/[\w./-]+\.(?:ts|mjs|json|cjs)\b/g)) {
      if (m[0].includes('/some/')) continue; // a placeholder in an example command
      if (!existsSync(path.join(ROOT, m[0]))) missing.push(`${doc}: ${m[0]}`);
    }
  }
  expect(missing).toEqual([]);
});
