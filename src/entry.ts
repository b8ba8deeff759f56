// The executable's entry point. `--version` is answered before the rest of the program is even
// evaluated (scripts and health checks call it often); everything else loads main.ts.
import { COMMIT, VERSION } from './version';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`flamenco-mgr ${VERSION} (commit ${COMMIT})\n`);
} else {
  void import('./main').then((m) => {
    m.exitQuietlyOnClosedPipe();
    return m.main(process.argv);
  });
}
