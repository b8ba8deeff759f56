// Shell completion: the bash script, run in a real bash, completes subcommands, options, fixed
// words and the farm's job names, worker nicknames and ids (asked from the program itself).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, testManager } from '../helpers/env';
import { addWorker, submitCustom } from '../helpers/domain';
import { BUNDLE, ensureBundle, runCli } from '../helpers/cli';

/** Completes `line` (the cursor at its end) in bash with the script, the program being the bundle. */
function complete(script: string, line: string, dataDir: string): string[] {
  const dir = tempDir();
  const file = path.join(dir, 'completion.bash');
  writeFileSync(file, script);
  const words = line.split(' ');
  const program = `
flamenco-mgr() { "${process.execPath}" "${BUNDLE}" "$@"; }
source "${file}"
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length - 1}
_flamenco_mgr
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', program], { encoding: 'utf8', env: { ...process.env, FLAMENCO_MGR_DATA_DIR: dataDir } });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('completion', { timeout: 60_000 }, () => {
  it("completes subcommands, options, words and the farm's names and ids in bash", async () => {
    ensureBundle();
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }], { name: 'shot 12' });
    const w = await addWorker(tm, { nickname: 'node-7' });
    const r = await runCli(['completion', 'bash']);
    expect(r.code).toBe(0);
    const s = r.stdout;
    const d = tm.dataDir;
    expect(complete(s, 'flamenco-mgr wa', d)).toEqual(['wait-job']);
    expect(complete(s, 'flamenco-mgr jobs --wa', d)).toEqual(['--watch']);
    expect(complete(s, 'flamenco-mgr set-worker-status node-7 a', d)).toEqual(['asleep', 'awake']);
    expect(complete(s, 'flamenco-mgr job ', d)).toEqual([job, 'shot\\ 12'].sort());
    expect(complete(s, 'flamenco-mgr cancel-job sh', d)).toEqual(['shot\\ 12']);
    expect(complete(s, 'flamenco-mgr set-worker-status ', d)).toEqual([w, 'node-7'].sort());
    expect(complete(s, 'flamenco-mgr requeue --worker no', d)).toEqual(['node-7']);
    expect(complete(s, `flamenco-mgr queue-status --data-dir ${d} --job sh`, '/nonexistent')).toEqual(['shot\\ 12']);
  });

  it('prints a zsh script and refuses other shells', async () => {
    const z = await runCli(['completion', 'zsh']);
    expect(z.code).toBe(0);
    expect(z.stdout).toContain('bashcompinit');
    expect(z.stdout).toContain('complete -F _flamenco_mgr flamenco-mgr');
    expect(await runCli(['completion', 'fish'])).toMatchObject({ code: 2, stderr: 'flamenco-mgr: completion: "fish" is not a supported shell (bash, zsh)\n' });
  });
});
