import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

// `vite dev` proxies the API to a running `aisbf start` (AISBF_DEV_API, default :17765) so the
// dashboard can be developed with hot reload against a real control plane.
const api = process.env['AISBF_DEV_API'] ?? 'http://127.0.0.1:17765';

export default defineConfig({
  plugins: [sveltekit()],
  server: { proxy: { '/trpc': api } },
  // Component tests mount Svelte in happy-dom, so Svelte must resolve its browser build.
  resolve: process.env['VITEST'] ? { conditions: ['browser'] } : undefined,
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'jsdom',
    pool: 'forks',
  },
});
