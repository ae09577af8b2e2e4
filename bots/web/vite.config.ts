/// <reference types="vitest/config" />
import { svelte } from '@sveltejs/vite-plugin-svelte';
import tailwindcss from '@tailwindcss/vite';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vite';

// `npm run dev` serves the app with hot reload and passes the API to the agent on 8001
// (`make up` or `loglens up` running beside it); LOGLENS_AGENT_URL points elsewhere.
const agent = process.env.LOGLENS_AGENT_URL ?? 'http://127.0.0.1:8001';
const api = ['/query', '/history', '/schema', '/health', '/logs', '/stats'];

export default defineConfig({
  plugins: [tailwindcss(), svelte(), svelteTesting()],
  server: {
    proxy: {
      '/ws': { target: agent, ws: true },
      ...Object.fromEntries(api.map((path) => [path, { target: agent }])),
    },
  },
  build: {
    target: 'es2022',
    // Only the entry is preloaded: ECharts is imported on demand and stays out of the first page.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
  },
});
