// `flamenco-mgr job-types`: the built bundle run as a child process, human and --json output.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { jobTypesDocument } from '../../src/core/jobs/compilers/index';
import { BUNDLE, ensureBundle, parseTable, ROOT, runCli, runJson, STACK_LINE } from '../helpers/cli';

beforeAll(() => {
  ensureBundle();
  // A bundle left over from before this subcommand existed would fail every test below.
  if (!/command\(["']job-types["']\)/.test(readFileSync(BUNDLE, 'utf8'))) execFileSync(process.execPath, ['build.mjs'], { cwd: ROOT, stdio: 'inherit' });
}, 120_000);

describe('flamenco-mgr job-types', { timeout: 30_000 }, () => {
  it('--json lists every job type with its settings, as the registry has them', async () => {
    const doc = await runJson(['job-types']);
    expect(doc).toEqual(JSON.parse(JSON.stringify(jobTypesDocument())));
    expect(doc.map((t: { job_type: string }) => t.job_type)).toEqual(
      expect.arrayContaining(['blender-render', 'blender-video-chunks', 'blender-render-progressive', 'exec-command', 'sleep', 'custom']),
    );
    const br = doc.find((t: { job_type: string }) => t.job_type === 'blender-render');
    expect(br.description).toMatch(/Blender/);
    expect(br.settings.map((s: { name: string }) => s.name)).toEqual([
      'filepath',
      'frames',
      'chunk_size',
      'render_output',
      'format',
      'fps',
      'output_file_extension',
      'blender_cmd',
      'create_video',
    ]);
    expect(br.settings.find((s: { name: string }) => s.name === 'chunk_size')).toEqual({
      name: 'chunk_size',
      type: 'integer',
      required: false,
      default: 1,
      description: 'frames per render task',
      addon: { visible: 'submission' },
    });
    expect(br.settings.find((s: { name: string }) => s.name === 'filepath')).toMatchObject({ required: true, default: null });
    expect(br.settings.find((s: { name: string }) => s.name === 'blender_cmd').default).toBe('{blender}');
    const custom = doc.find((t: { job_type: string }) => t.job_type === 'custom');
    expect(custom.settings).toEqual([]);
  });

  it('prints an aligned table of settings per job type', async () => {
    const r = await runCli(['job-types']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const blocks = r.stdout.trimEnd().split('\n\n');
    expect(blocks.map((b) => b.split(':')[0])).toEqual(jobTypesDocument().map((t) => t.job_type));
    const block = blocks.find((b) => b.startsWith('blender-render:'))!;
    const body = block
      .split('\n')
      .slice(1)
      .map((l) => l.replace(/^ {2}/, ''))
      .join('\n');
    const rows = parseTable(body, ['SETTING', 'TYPE', 'REQUIRED/DEFAULT', 'DESCRIPTION']);
    expect(rows.find((row) => row.SETTING === 'filepath')).toMatchObject({ TYPE: 'string', 'REQUIRED/DEFAULT': 'required' });
    expect(rows.find((row) => row.SETTING === 'chunk_size')).toMatchObject({ TYPE: 'integer', 'REQUIRED/DEFAULT': 'default 1' });
    expect(rows.find((row) => row.SETTING === 'format')).toMatchObject({ 'REQUIRED/DEFAULT': 'optional' });
    expect(blocks.find((b) => b.startsWith('custom:'))).toContain('(no settings)');
  });

  it('needs no data directory and refuses extra arguments without a stack trace', async () => {
    const ok = await runCli(['job-types', '--json', '--data-dir', '/nonexistent/flamenco-data']);
    expect(ok.code).toBe(0);
    const bad = await runCli(['job-types', 'extra']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toContain(STACK_LINE);
  });

  it('is listed in the program help', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toMatch(/^ {2}job-types\b/m);
  });
});
