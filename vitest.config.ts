// Test files share worker processes instead of starting a fresh one each (isolate: false): with
// about a hundred files that halves the suite's time on two cores. Every helper undoes what it set
// up after each test (test/setup.ts), and in-process CLI runs restore the environment, working
// directory and output streams they change.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    isolate: false,
    setupFiles: ['test/setup.ts'],
  },
});
