// The README and docs/*.md say only what the program has: every `flamenco-mgr <command>` they
// show is a command of the program, every config key they name is one the config file takes
// (and docs/configuration.md lists them all), and every relative link leads to a file (and, with
// an #anchor, to a heading of it).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../src/core/support/config';
import { buildProgram, GLOBAL_HELP } from '../../src/main';
import { fileKey, LIVE_KEYS } from '../../src/serve/config-file';
import { ROOT } from '../helpers/cli';

const DOCS = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const text = (doc: string) => readFileSync(path.join(ROOT, doc), 'utf8');

/** The code of a Markdown text: fenced blocks and inline code spans. */
function codeOf(md: string): { blocks: { lang: string; body: string }[]; spans: string[] } {
  const blocks: { lang: string; body: string }[] = [];
  const rest = md.replace(/^```(\w*)\n([\s\S]*?)^```$/gm, (_, lang: string, body: string) => {
    blocks.push({ lang, body });
    return '';
  });
  const spans = [...rest.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  return { blocks, spans };
}

/** Prose without its code blocks. */
function proseOf(md: string): string {
  return md.replace(/^```\w*\n[\s\S]*?^```$/gm, '');
}

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(md: string): Set<string> {
  return new Set([...proseOf(md).matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

describe('README.md and docs/*.md', () => {
  it('show only commands the program has', () => {
    const program = buildProgram();
    const commands = new Set([...program.commands.map((c) => c.name()), 'help']);
    const unknown: string[] = [];
    let seen = 0;
    for (const doc of DOCS) {
      const { blocks, spans } = codeOf(text(doc));
      for (const code of [...blocks.map((b) => b.body), ...spans]) {
        // Zero-width word: in `sudo -u flamenco-mgr flamenco-mgr jobs` both are looked at. Not
        // the service user (`-u flamenco-mgr mkdir`) nor a quoted message (`echo "flamenco-mgr is …"`).
        for (const m of code.matchAll(/(?<![\w./"-])(?<!-u )flamenco-mgr (?=([a-z][a-z-]*))/g)) {
          const word = m[1]!;
          if (word === 'flamenco-mgr') continue;
          seen++;
          if (!commands.has(word)) unknown.push(`${doc}: flamenco-mgr ${word}`);
        }
      }
    }
    expect(unknown).toEqual([]);
    expect(seen).toBeGreaterThan(50);
  });

  it('name the commands without --json and without --manager as the program has them', () => {
    const program = buildProgram();
    const commands = program.commands.filter((c) => !c.name().startsWith('_'));
    const without = (opt: string) =>
      commands
        .filter((c) => !c.options.some((o) => o.long === opt && !o.hidden))
        .map((c) => c.name())
        .sort();
    const names = (list: string) => [...list.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]!).sort();
    const LIST = '((?:`[a-z -]+`(?:, | and )?)+)';
    const readme = text('README.md').replace(/\s+/g, ' ');
    expect(names(new RegExp(`\\(but ${LIST}\\) \`--json\``).exec(readme)![1]!)).toEqual(without('--json'));
    expect(names(new RegExp(`all but ${LIST} work on a manager elsewhere`).exec(readme)![1]!)).toEqual(without('--manager'));
    const cli = text('docs/cli.md').replace(/\s+/g, ' ');
    expect(names(new RegExp(`every command but ${LIST} takes \`--json\``).exec(cli)![1]!)).toEqual(without('--json'));
    expect(names(new RegExp(`and, but ${LIST}, \`--manager <url>\``).exec(cli)![1]!)).toEqual(without('--manager'));
    expect(names(new RegExp(`Every command except ${LIST} also works`).exec(cli)![1]!.replace('`admin-token --rotate`', ''))).toEqual(without('--manager'));
    // And flamenco-mgr --help.
    expect(/over HTTP \(all but ([a-z, -]+)\)/.exec(GLOBAL_HELP)![1]!.split(', ').sort()).toEqual(without('--manager'));
  });

  it('docs/cli.md describes every command of the program', () => {
    const rows = [...text('docs/cli.md').matchAll(/^\| `([a-z-]+)[^|]*\|/gm)].map((m) => m[0]);
    const described = new Set(rows.flatMap((r) => [...r.matchAll(/`([a-z][a-z-]*)/g)].map((m) => m[1]!)));
    const missing = buildProgram()
      .commands.map((c) => c.name())
      .filter((c) => !c.startsWith('_') && !described.has(c)); // __complete: the completion script's helper
    expect(missing).toEqual([]);
  });

  it('name only config keys the config file takes, and docs/configuration.md lists every one', () => {
    const reference = [...text('docs/configuration.md').matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]!);
    expect([...reference].sort()).toEqual([...CONFIG_KEYS].sort());
    const unknown: string[] = [];
    const check = (doc: string, key: string) => {
      if (!CONFIG_KEYS.includes(key)) unknown.push(`${doc}: ${key}`);
    };
    let seen = 0;
    for (const doc of DOCS) {
      const md = text(doc);
      const { blocks, spans } = codeOf(md);
      // A JSON example that sets any config key is a config file: all its keys must be ones.
      for (const b of blocks.filter((x) => x.lang === 'json')) {
        let doc_: unknown;
        try {
          doc_ = JSON.parse(b.body);
        } catch {
          continue; // several documents in one block (webhook bodies)
        }
        if (doc_ === null || typeof doc_ !== 'object' || Array.isArray(doc_)) continue;
        const keys = Object.keys(doc_);
        if (!keys.some((k) => CONFIG_KEYS.includes(k))) continue;
        seen++;
        for (const k of keys) check(doc, k);
      }
      // `"job_retention": "90d"`: a config line quoted in the text (docs/api.md quotes API bodies).
      for (const s of doc === 'docs/api.md' ? [] : spans) {
        const m = /^"(\w+)":/.exec(s);
        if (m) {
          seen++;
          check(doc, m[1]!);
        }
      }
      // "the config key `x`", "`x` in the config", "the config's `x`".
      const prose = proseOf(md);
      for (const m of prose.matchAll(/config(?:uration)? keys? `(\w+)`|`(\w+)` in the config\b|the config's `(\w+)`/g)) {
        seen++;
        check(doc, (m[1] ?? m[2] ?? m[3])!);
      }
    }
    expect(unknown).toEqual([]);
    expect(seen).toBeGreaterThan(3);
    // The example shipped with the release, too.
    for (const k of Object.keys(JSON.parse(text('packaging/flamenco-mgr.example.json')))) expect(CONFIG_KEYS).toContain(k);
  });

  it('name exactly the keys a SIGHUP applies at once, wherever they list them', () => {
    const live = LIVE_KEYS.map(fileKey).sort();
    let lists = 0;
    for (const doc of DOCS) {
      // "SIGHUP … re-reads …: `a`, `b` and `c` take effect at once"
      for (const m of proseOf(text(doc)).matchAll(/SIGHUP[^\n]*re-reads[\s\S]*?take effect at once/g)) {
        lists++;
        const keys = [...m[0].matchAll(/`(\w+)`/g)].map((k) => k[1]!).filter((k) => CONFIG_KEYS.includes(k));
        expect({ doc, keys: keys.sort() }).toEqual({ doc, keys: live });
      }
    }
    expect(lists).toBeGreaterThanOrEqual(2);
    // docs/limits.md marks the live ones in its tables.
    const rows = [...text('docs/limits.md').matchAll(/\| `(\w+)`( \(live\))? \|/g)].filter((m) => CONFIG_KEYS.includes(m[1]!));
    expect(rows.length).toBeGreaterThan(2);
    for (const [, key, mark] of rows) expect({ key, live: mark !== undefined }).toEqual({ key, live: live.includes(key!) });
  });

  it('send readers to the page that has the depth, not to the README, which is a front page now', () => {
    const stale: string[] = [];
    for (const doc of DOCS.filter((d) => d.startsWith('docs/'))) {
      for (const m of proseOf(text(doc)).matchAll(/\(README, "[^"]*"\)|see the README|listed in the README|the README's [a-z]+|\]\(\.\.\/README\.md[)#]/g))
        stale.push(`${doc}: ${m[0]}`);
    }
    expect(stale).toEqual([]);
  });

  it('link only to files that exist, and to headings those files have', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      const md = text(doc);
      for (const m of proseOf(md).matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
        const [file, anchor] = target.split('#') as [string, string | undefined];
        const full = file === '' ? path.join(ROOT, doc) : path.resolve(path.dirname(path.join(ROOT, doc)), file);
        if (!existsSync(full)) {
          broken.push(`${doc}: ${target} (no such file)`);
          continue;
        }
        if (anchor !== undefined && full.endsWith('.md') && !anchorsOf(readFileSync(full, 'utf8')).has(anchor)) {
          broken.push(`${doc}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
