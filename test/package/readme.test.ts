// The README is the front page: the two commands first (.ci/run and new users start there), short
// enough to read on a screen, the depth in docs/. The files the README and the docs point readers
// to exist (code moves; the docs must follow).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { COMPILERS } from '../../src/core/jobs/compilers/index';
import { validateJob } from '../../src/core/jobs/jobs';
import { ROOT } from '../helpers/cli';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

it('starts with the two commands: npm start runs a manager on ./flamenco-data port 8080, npm test the whole suite', () => {
  const lines = README.split('\n');
  expect(lines.slice(0, 6)).toEqual([
    '# flamenco-mgr',
    '',
    '```sh',
    'npm ci && npm start      # start a manager on ./flamenco-data (SQLite), port 8080',
    'npm ci && npm test       # run the whole test suite (type check, lint, build, about 50 s)',
    '```',
  ]);
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(pkg.scripts.start).toMatch(/ serve$/);
  expect(readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^npm test$/m);
});

it('fits on a few screens and leads with what the manager serves', () => {
  expect(README.split('\n').length).toBeLessThanOrEqual(250);
  const lead = README.slice(0, README.indexOf('## '));
  expect(lead).toContain('Flamenco Worker 2.5');
  expect(lead).toContain('Flamenco 3');
  expect(lead).toContain('[docs/workers.md](docs/workers.md)');
  // The table of what differs between the generations names both in its header.
  expect(lead).toMatch(/^\| \| Flamenco Worker 2\.5 \| Flamenco 3 Worker \|$/m);
});

it('day one names the dashboard and a task_types line with every task type the job types use by default', () => {
  const dayOne = README.slice(README.indexOf('## Day one'), README.indexOf('## Commands'));
  expect(dayOne).toContain('dashboard');
  const taskTypes = /^\s*task_types = (.+)$/m.exec(dayOne)![1]!.split(/\s+/);
  // Every job type but custom (whose tasks name their own types), with its optional tasks on.
  const examples: Record<string, Record<string, unknown>> = {
    'simple-blender-render': {
      frames: '1-4',
      render_output_root: '/render',
      add_path_components: 0,
      render_output_path: '/render/shot/{timestamp}/######',
      blendfile: '/proj/shot.blend',
      fps: 24,
      format: 'PNG',
      image_file_extension: '.png',
      scene: 'Scene',
    },
    'blender-render': { filepath: '/proj/shot.blend', frames: '1-4', render_output: '/render/shot/######', create_video: true, fps: 24, output_file_extension: '.png' },
    'blender-video-chunks': { filepath: '/proj/shot.blend', frames: '1-4', render_output: '/render/shot/######', fps: 24, extract_audio: true },
    'blender-render-progressive': { filepath: '/proj/shot.blend', frames: '1-4', render_output: '/render/shot/######', cycles_sample_count: 16, cycles_sample_cap: 8, fps: 24 },
    sleep: { frames: '1-4' },
    'exec-command': { cmd: 'echo hello' },
  };
  expect(Object.keys(examples).sort()).toEqual(
    COMPILERS.map((c) => c.job_type)
      .filter((t) => t !== 'custom')
      .sort(),
  );
  const used = new Set(Object.entries(examples).flatMap(([job_type, settings]) => validateJob({ name: 'x', job_type, settings }, 0).tasks.map((t) => t.task_type)));
  expect([...used].filter((t) => !taskTypes.includes(t))).toEqual([]);
  // exec-command's default task type: without it such a job stays queued.
  const execDefault = COMPILERS.find((c) => c.job_type === 'exec-command')!.settings.find((x) => x.name === 'task_type')!.default;
  expect(execDefault).toBe('debug');
  expect(taskTypes).toContain(execDefault);
});

it('every src/, test/ and bench/ file named in README.md, docs/*.md and bench/README.md exists', () => {
  const missing: string[] = [];
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  for (const doc of ['README.md', ...docs, 'bench/README.md']) {
    const text = readFileSync(path.join(ROOT, doc), 'utf8');
    for (const m of text.matchAll(/\b(?:src|test|bench)\/[\w./-]+\.(?:ts|mjs|json|cjs)\b/g)) {
      if (m[0].includes('/some/')) continue; // a placeholder in an example command
      if (!existsSync(path.join(ROOT, m[0]))) missing.push(`${doc}: ${m[0]}`);
    }
  }
  expect(missing).toEqual([]);
});

it('the job types point users to docs pages that exist, not to the README, which keeps no depth', () => {
  const texts = COMPILERS.flatMap((c) => [c.description, ...c.settings.map((s) => s.description)]);
  expect(texts.filter((t) => /README/.test(t))).toEqual([]);
  const named = texts.flatMap((t) => [...t.matchAll(/\bdocs\/[\w-]+\.md\b/g)].map((m) => m[0]));
  expect(named.length).toBeGreaterThan(0);
  for (const doc of named) expect(existsSync(path.join(ROOT, doc)), doc).toBe(true);
});

it('has a performance section of at most 40 lines that quotes the medians of --repeat 3, the depth in bench/README.md', () => {
  const section = README.slice(README.indexOf('## Performance'), README.indexOf('## ', README.indexOf('## Performance') + 3));
  expect(section).not.toBe('');
  expect(section.trimEnd().split('\n').length).toBeLessThanOrEqual(40);
  expect(section).toContain('--repeat 3');
  expect(section).toContain('[bench/README.md](bench/README.md)');
  expect(section).toMatch(/serve ÷ bare server/);
});
