// The page is plain TypeScript; Vite bundles it (with the quorumkey package and its
// WebAssembly module) into static files under build/web, served as-is by any web server.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: resolve(import.meta.dirname),
  plugins: [
    {
      // The package says `"sideEffects": false`, but its browser entry registers the
      // WebAssembly loader as a side effect: keep it, or ready() finds no platform.
      name: 'quorumkey-entry-side-effects',
      transform(code, id) {
        if (/[\\/]quorumkey[\\/]dist[\\/]esm[\\/]browser\.js$/.test(id)) return { code, moduleSideEffects: true };
        return null;
      },
    },
  ],
  base: '/',
  build: {
    outDir: resolve(import.meta.dirname, '../build/web'),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        admin: resolve(import.meta.dirname, 'admin.html'),
      },
    },
  },
});
