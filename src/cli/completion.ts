// Shell completion: `completion bash|zsh` prints a script built from the program's own command
// tree (subcommands, options), which asks the hidden `__complete <kind>` command for the ids and
// names of the farm as the user types.
import type { Command, Option } from 'commander';
import { common, type CommonOptions } from './context';
import { withClient } from './client/connect';
import { ValidationError } from '../core/support/errors';
import { REQUESTABLE_STATUSES } from '../core/support/statuses';
import { io } from './io';

/** What a value is, from its argument name: the farm is asked for these kinds. */
const KINDS: Record<string, string> = { 'job-id': 'jobs', 'worker-id': 'workers', 'task-id': 'tasks', file: 'files' };
/** Options whose value is an id of the farm. */
const OPTION_KINDS: Record<string, string> = { '--job': 'jobs', '--worker': 'workers', '--task': 'tasks' };
/** Fixed words some arguments take. */
const WORDS: Record<string, readonly string[]> = { status: REQUESTABLE_STATUSES, shell: ['bash', 'zsh'] };
/** Most newest jobs offered: enough to pick from, not a wall of text. */
const MAX_JOBS = 200;

function argKind(cmd: Command, name: string): string | undefined {
  if (KINDS[name]) return KINDS[name];
  // `job <id>` takes a job.
  if (name === 'id' && cmd.name() === 'job') return 'jobs';
  return undefined;
}

function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function visible(cmd: Command): Command[] {
  return cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
}

function flags(cmd: Command): string[] {
  return [...cmd.options.filter((o: Option) => !o.hidden).flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))), '--help'];
}

/** The options of any command that take a value (`--job <id>`): the word after them is that value. */
function valueOptions(program: Command): string {
  const all = [program, ...program.commands.flatMap((c) => [c, ...c.commands])];
  const names = all.flatMap((c) => c.options.filter((o) => o.required).flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))));
  return [...new Set(names)].sort().join(' ');
}

/** The bash function, built from the command tree. */
export function bashScript(program: Command): string {
  const cmds = visible(program);
  const cases = cmds
    .map((c) => {
      const args = c.registeredArguments.map((a) => argKind(c, a.name()) ?? (WORDS[a.name()] ? `words:${WORDS[a.name()]!.join(' ')}` : '')).map(shellWord);
      const subs = visible(c).map((s) => s.name());
      return `    ${shellWord(c.name())}) opts=${shellWord([...flags(c), ...subs].join(' '))}; args=(${args.join(' ')}) ;;`;
    })
    .join('\n');
  const optionKinds = Object.entries(OPTION_KINDS)
    .map(([o, k]) => `    ${o}) kind=${k} ;;`)
    .join('\n');
  return `# flamenco-mgr completion for bash. Load it with:
#   source <(flamenco-mgr completion bash)
# or put that line in ~/.bashrc. Ids and names come from the farm (--data-dir or
# $FLAMENCO_MGR_DATA_DIR, as on the command line).
_flamenco_mgr() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local IFS=$'\\n'
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(IFS=' '; compgen -W ${shellWord(cmds.map((c) => c.name()).join(' '))} -- "$cur"))
    return
  fi
  local cmd="\${COMP_WORDS[1]}" opts="" args=() farm=() i
  for ((i = 2; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      --data-dir|--manager|--token|--token-file) farm+=("\${COMP_WORDS[i]}" "\${COMP_WORDS[i+1]}") ;;
    esac
  done
  case "$cmd" in
${cases}
    *) return ;;
  esac
  local kind=""
  case "$prev" in
    --data-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --config|--token-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
${optionKinds}
  esac
  if [ -z "$kind" ]; then
    if [[ "$cur" == -* ]]; then
      COMPREPLY=($(IFS=' '; compgen -W "$opts" -- "$cur"))
      return
    fi
    # Which positional argument is being typed: count the words that are not options or their values.
    local n=0 w
    for ((i = 2; i < COMP_CWORD; i++)); do
      w="\${COMP_WORDS[i]}"
      if [[ "$w" == -* ]]; then [[ " ${valueOptions(program)} " == *" $w "* ]] && ((i++)); continue; fi
      ((n++))
    done
    kind="\${args[n]}"
  fi
  case "$kind" in
    words:*) COMPREPLY=($(IFS=' '; compgen -W "\${kind#words:}" -- "$cur")) ;;
    files) COMPREPLY=($(compgen -f -- "$cur")) ;;
    jobs|workers|tasks)
      COMPREPLY=($(compgen -W "$(flamenco-mgr __complete "$kind" "\${farm[@]}" 2>/dev/null)" -- "$cur"))
      # Names may hold spaces: quote what is put on the line.
      local k
      for k in "\${!COMPREPLY[@]}"; do COMPREPLY[k]=$(printf '%q' "\${COMPREPLY[k]}"); done
      ;;
    *) COMPREPLY=($(IFS=' '; compgen -W "$opts" -- "$cur")) ;;
  esac
}
complete -F _flamenco_mgr flamenco-mgr
`;
}

/** zsh runs the same function through its bash completion layer. */
export function zshScript(program: Command): string {
  return `# flamenco-mgr completion for zsh. Load it with:
#   source <(flamenco-mgr completion zsh)
# or put that line in ~/.zshrc (after compinit).
autoload -U +X compinit && { (( $+functions[compdef] )) || compinit; }
autoload -U +X bashcompinit && bashcompinit
${bashScript(program).split('\n').slice(4).join('\n')}`;
}

export function completionCommand(program: Command): void {
  // --data-dir is accepted like everywhere else; the script passes the one typed on each line.
  common(program.command('completion <shell>').description('print a shell completion script (bash or zsh): source <(flamenco-mgr completion bash)'), { json: false }).action(
    (shell: string) => {
      if (shell === 'bash') io.out(bashScript(program));
      else if (shell === 'zsh') io.out(zshScript(program));
      else throw new ValidationError(`completion: "${shell}" is not a supported shell (bash, zsh)`);
    },
  );

  // What the scripts ask while the user types: one candidate per line.
  common(program.command('__complete <kind>', { hidden: true }), { json: false, remote: true }).action(async (kind: string, opts: CommonOptions) => {
    if (!['jobs', 'workers', 'tasks'].includes(kind)) throw new ValidationError(`__complete: unknown kind "${kind}"`);
    await withClient(opts, async (c) => {
      const out: string[] = [];
      if (kind === 'jobs') {
        for (const j of (await c.jobList(undefined, { scope: 'all', limit: MAX_JOBS })).jobs) out.push(j.id, j.name);
      } else if (kind === 'workers') {
        for (const w of await c.workers()) out.push(w.id, w.nickname);
      } else {
        // The running tasks: the ones people look at (task-log --follow, requeue --task).
        for (const w of await c.workers()) if (w.current_task) out.push(w.current_task);
      }
      io.out([...new Set(out)].map((s) => s.replace(/\n/g, ' ')).join('\n') + (out.length > 0 ? '\n' : ''));
    });
  });
}
