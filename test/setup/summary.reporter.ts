import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends a run with one plain line, `Vitest: N passed, N failed, N skipped`,
 * which tools that only read closing lines (CI among them) understand.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const count = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed' || state === 'failed' || state === 'skipped') {
          count[state]++;
        }
      }
    }
    // Last, after the default reporter's own summary (stdout to a pipe or a
    // file is synchronous on Linux, so an exit handler's write is not lost).
    const line = `Vitest: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped\n`;
    process.once('exit', () => process.stdout.write(line));
  }
}
