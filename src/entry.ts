// The executable's entry point. `--version` is answered before the rest of the program is even
// evaluated (scripts and health checks call it often); everything else loads main.ts.
import { COMMIT, VERSION } from './version';
import { unsupportedNode } from './node-version';

const args = process.argv.slice(2);
const refusal = unsupportedNode(process.versions.node);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`flamenco-mgr ${VERSION} (commit ${COMMIT})\n`);
} else if (refusal) {
  // The SQLite addon is built for Node 24's ABI: loading it into another Node crashes the process.
  process.stderr.write(`flamenco-mgr: ${refusal}\n`);
  process.exitCode = 1;
} else {
  void import('./main').then((m) => {
    m.exitQuietlyOnClosedPipe();
    return m.main(process.argv);
  });
}
