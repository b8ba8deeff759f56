// {variable} placeholders in command settings, replaced per worker platform at hand-out.
import type { Command } from '../db/tasks-repo';
import type { VariableDef } from './config';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_-]*)\}/g;

export class Variables {
  /** platform → name → value, for audience workers. */
  private readonly forWorkers = new Map<string, Map<string, string>>();

  constructor(readonly defs: Record<string, VariableDef>) {
    for (const [name, def] of Object.entries(defs)) {
      for (const v of def.values) {
        if (v.audience === 'users') continue;
        let m = this.forWorkers.get(v.platform);
        if (!m) this.forWorkers.set(v.platform, (m = new Map()));
        // A value for exactly 'workers' wins over one for 'all'.
        if (!m.has(name) || v.audience === 'workers') m.set(name, v.value);
      }
    }
  }

  /** Replaces placeholders in the top-level string values of each command's settings. */
  expandCommands(commands: Command[], platform: string): Command[] {
    const values = this.forWorkers.get(platform);
    if (!values) return commands;
    return commands.map((cmd) => {
      const settings: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(cmd.settings)) {
        settings[k] = typeof v === 'string' ? v.replace(PLACEHOLDER, (whole, name: string) => values.get(name) ?? whole) : v;
      }
      return { name: cmd.name, settings };
    });
  }
}
