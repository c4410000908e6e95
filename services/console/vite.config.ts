// The console build: hashed bundles under dist/assets, no inline scripts or styles (the
// server's CSP is `script-src 'self'; style-src 'self'`), nothing fetched from elsewhere.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    // Never inline small assets as data: URLs into CSS/JS; every asset is a same-origin file.
    assetsInlineLimit: 0,
    // The modulepreload polyfill would be an extra script; every browser we support has it.
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1000,
  },
  server: {
    // `npm run dev -w services/console`: the API on the all-in-one server next door.
    proxy: Object.fromEntries(
      ['/api', '/auth', '/v1', '/dev-idp', '/scim'].map((p) => [
        p,
        { target: process.env.AIRLOCK_URL ?? 'http://127.0.0.1:8080', changeOrigin: false },
      ]),
    ),
  },
});
