// docs/api.md documents every admin route: a row in the overview, a section, and a curl example
// with the admin token. (The examples themselves were run against a live serve.)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminRoutes } from '../../src/http/admin-routes';
import { apiRoutes } from '../../src/http/api-routes';
import { adminAuth, testManager } from '../helpers/env';

const DOC = readFileSync(path.join(import.meta.dirname, '..', '..', 'docs', 'api.md'), 'utf8');

function documented(p: string): string {
  return p.replace(/:(\w+)/g, (_, name: string) => (name === 'id' ? '{id}' : `{${name}}`));
}

/** The doc's sections: heading → text up to the next heading. */
function sections(): Map<string, string> {
  const out = new Map<string, string>();
  const parts = DOC.split(/^### /m).slice(1);
  for (const p of parts) out.set(p.slice(0, p.indexOf('\n')).trim(), p);
  return out;
}

/** The route tables of a manager (only their paths and methods are read). */
function allRoutes() {
  const tm = testManager();
  return [...apiRoutes(tm.manager, adminAuth(tm.manager)), ...adminRoutes(tm.manager, adminAuth(tm.manager))];
}

describe('docs/api.md', () => {
  it('lists every route and method in the overview', () => {
    for (const r of allRoutes()) {
      const rows = DOC.split('\n').filter((l) => l.startsWith('| ') && l.includes(`| \`${documented(r.path)}\` |`));
      for (const m of r.methods)
        expect(
          rows.some((row) =>
            row
              .split('|')[1]!
              .split(',')
              .map((x) => x.trim())
              .includes(m),
          ),
          `${m} ${r.path}`,
        ).toBe(true);
    }
  });

  it('has a section with a curl example for every route and method', () => {
    const secs = sections();
    for (const r of allRoutes()) {
      const p = documented(r.path);
      const heading = [...secs.keys()].find((h) => h.endsWith(` ${p}`) && r.methods.some((m) => h.startsWith(`${m} `)));
      expect(heading, `${r.methods.join(',')} ${p}`).toBeDefined();
      const text = secs.get(heading!)!;
      for (const m of r.methods) if (!heading!.startsWith(`${m} `)) expect(text, `${m} ${p}`).toMatch(new RegExp(`\\b${m}\\b`));
      const example = text.split('\n').filter((l) => l.includes('localhost:8080'));
      expect(example.length, p).toBeGreaterThan(0);
      const curl = text.slice(text.indexOf('```sh'), text.indexOf('```', text.indexOf('```sh') + 5));
      expect(curl, p).toContain('curl');
      expect(curl, p).toContain('-H "Authorization: Bearer $TOKEN"');
      const concrete = p.replace('{id}', '').replace('{job}', '').replace('{task}', '').replace('{tag}', '').split('/').filter(Boolean);
      for (const part of concrete) expect(curl, p).toContain(part);
    }
  });

  it('names every status code a section promises with its error code', () => {
    for (const code of ['validation', 'unauthorized', 'not_found', 'method_not_allowed', 'conflict']) expect(DOC).toContain(`\`${code}\``);
  });
});
