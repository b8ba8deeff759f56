// Runs before each test file (vitest.config.ts): the helpers' cleanups after every test. Test
// files share their worker process (isolate: false), so this is registered per file here rather
// than once when a helper module is first imported.
import { afterEach } from 'vitest';
import { runCleanups } from './helpers/env';

afterEach(runCleanups);
