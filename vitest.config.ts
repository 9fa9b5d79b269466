import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC compiles the TypeScript so Nest's decorator metadata (emitDecoratorMetadata) exists under Vitest.
const plugins = [swc.vite({ module: { type: 'es6' } })];

export default defineConfig({
  plugins,
  test: {
    globals: true,
    // One spec file at a time: e2e files share the broker and the machine has 2 cores.
    fileParallelism: false,
    reporters: ['default', './test/setup/summary.reporter.ts'],
    projects: [
      {
        plugins,
        test: {
          name: 'unit',
          globals: true,
          include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
        },
      },
      {
        plugins,
        test: {
          name: 'e2e',
          globals: true,
          include: ['test/**/*.e2e-spec.ts'],
          // Starts the local broker unless KAFKA_BROKERS already answers.
          globalSetup: ['test/setup/kafka.global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
