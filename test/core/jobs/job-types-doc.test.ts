// docs/job-types.md has a section for every job type offered, naming each of its settings.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPILERS } from '../../../src/core/jobs/compilers';

const DOC = readFileSync(path.join(import.meta.dirname, '..', '..', '..', 'docs', 'job-types.md'), 'utf8');

function sections(): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of DOC.split(/^## /m).slice(1)) out.set(part.slice(0, part.indexOf('\n')).trim(), part);
  return out;
}

describe('docs/job-types.md', () => {
  it('documents every job type and names its settings', () => {
    const secs = sections();
    for (const c of COMPILERS) {
      const sec = secs.get(c.job_type);
      expect(sec, c.job_type).toBeDefined();
      // The add-on's own settings are its panel's, shown by job-types; the others are explained here.
      if (c.job_type === 'simple-blender-render') continue;
      for (const s of c.settings) {
        if (s.name === 'filepath' || s.name === 'blender_cmd') continue;
        expect(sec, `${c.job_type}: ${s.name}`).toContain(`\`${s.name}\``);
      }
    }
  });
});
