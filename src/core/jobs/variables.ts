// {variable} placeholders in command settings, replaced per worker platform at hand-out.
import type { Command } from '../../db/tasks-repo';
import type { VariableDef } from '../support/config';
import { setOwn } from '../support/own';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_-]*)\}/g;

/** One platform value of a two-way variable, prepared for prefix matching. */
interface TwoWayValue {
  name: string;
  /** The value without trailing separators; Windows ones with / and lower case. */
  prefix: string;
  /** Length of the value before lower-casing, which can change the length of some letters. */
  length: number;
  windows: boolean;
}

/** Windows paths compare with either separator and in any case. */
const windowsKey = (s: string) => s.replace(/\\/g, '/').toLowerCase();

export class Variables {
  /** platform → name → value, for audience workers. */
  private readonly forWorkers = new Map<string, Map<string, string>>();
  /** Values of two-way variables, longest first so the most specific variable wins. */
  private readonly twoWay: TwoWayValue[] = [];
  private current: Record<string, VariableDef> = {};

  constructor(defs: Record<string, VariableDef>) {
    this.reconfigure(defs);
  }

  get defs(): Record<string, VariableDef> {
    return this.current;
  }

  /** Replaces the definitions in place (serve's config reload): every holder sees the new ones. */
  reconfigure(defs: Record<string, VariableDef>): void {
    this.current = defs;
    this.forWorkers.clear();
    this.twoWay.length = 0;
    for (const [name, def] of Object.entries(defs)) {
      for (const v of def.values) {
        if (v.audience === 'users') continue;
        let m = this.forWorkers.get(v.platform);
        if (!m) {
          m = new Map();
          this.forWorkers.set(v.platform, m);
        }
        // A value for exactly 'workers' wins over one for 'all'.
        if (!m.has(name) || v.audience === 'workers') m.set(name, v.value);
      }
      if (def.direction !== 'two-way') continue;
      // Every platform and audience: a path is turned back whichever machine it was written on.
      for (const v of def.values) {
        const windows = v.platform === 'windows';
        const trimmed = v.value.replace(/[/\\]+$/, '');
        // An empty or root value would claim every absolute path.
        if (trimmed === '') continue;
        this.twoWay.push({ name, prefix: windows ? windowsKey(trimmed) : trimmed, length: trimmed.length, windows });
      }
    }
    this.twoWay.sort((a, b) => b.length - a.length);
  }

  /**
   * Turns a path that starts with a two-way variable's value for any platform into the
   * placeholder form: with render = S:/render on windows, `S:\render\shot12` becomes
   * `{render}/shot12`. The value must end at a separator (S:/renders is not under S:/render).
   * After a Windows value the rest gets forward slashes, which every platform accepts.
   */
  toPlaceholders(value: string): string {
    for (const tw of this.twoWay) {
      const head = value.slice(0, tw.length);
      if ((tw.windows ? windowsKey(head) : head) !== tw.prefix) continue;
      const rest = value.slice(tw.length);
      if (rest !== '' && rest[0] !== '/' && !(tw.windows && rest[0] === '\\')) continue;
      return `{${tw.name}}${tw.windows ? rest.replace(/\\/g, '/') : rest}`;
    }
    return value;
  }

  /** toPlaceholders over the top-level string values of a settings object. */
  settingsToPlaceholders(settings: Record<string, unknown>): Record<string, unknown> {
    if (this.twoWay.length === 0) return settings;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(settings)) setOwn(out, k, typeof v === 'string' ? this.toPlaceholders(v) : v);
    return out;
  }

  /** The same for each command's settings, matching what expandCommands expands. */
  commandsToPlaceholders(commands: Command[]): Command[] {
    if (this.twoWay.length === 0) return commands;
    return commands.map((cmd) => ({ name: cmd.name, settings: this.settingsToPlaceholders(cmd.settings) }));
  }

  /**
   * A path as the manager's machine writes it, as `audience` sees it on `platform`: turned into
   * its {placeholder} form by the two-way variables, then each placeholder replaced by that
   * platform's value for that audience (a value for exactly the audience wins over one for all).
   */
  pathFor(value: string, platform: string, audience: 'workers' | 'users'): string {
    let unknown = false;
    const out = this.toPlaceholders(value).replace(PLACEHOLDER, (whole, name: string) => {
      const values = (this.defs[name]?.values ?? []).filter((v) => v.platform === platform && (v.audience === audience || v.audience === 'all'));
      const found = (values.find((v) => v.audience === audience) ?? values[0])?.value;
      if (found === undefined) unknown = true;
      return found ?? whole;
    });
    // Without a value for that platform a {placeholder} means nothing to the client: the
    // manager's own path is the better guess.
    return unknown ? value : out;
  }

  /** Whether workers on this platform get a value for {name}. */
  hasValue(name: string, platform: string): boolean {
    return this.forWorkers.get(platform)?.has(name) ?? false;
  }

  /** The {names} in the top-level string values of the commands' settings: what expandCommands replaces. */
  static placeholders(commands: Command[]): string[] {
    const names = new Set<string>();
    for (const cmd of commands) {
      for (const v of Object.values(cmd.settings)) if (typeof v === 'string') for (const m of v.matchAll(PLACEHOLDER)) names.add(m[1]!);
    }
    return [...names];
  }

  /** Replaces placeholders in the top-level string values of each command's settings. */
  expandCommands(commands: Command[], platform: string): Command[] {
    const values = this.forWorkers.get(platform);
    if (!values) return commands;
    return commands.map((cmd) => {
      const settings: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(cmd.settings)) {
        setOwn(settings, k, typeof v === 'string' ? v.replace(PLACEHOLDER, (whole, name: string) => values.get(name) ?? whole) : v);
      }
      return { name: cmd.name, settings };
    });
  }
}
