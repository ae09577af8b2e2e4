import { defineConfig } from 'vitest/config';

// End-to-end: a real `loglens up --demo` (started by e2e/global-setup.ts on free ports) serving the
// production build, driven by the system's Chromium through playwright-core.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    globalSetup: ['e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ['default'],
  },
});
