// Builds the console into dist/: one chunk per feature page (routes load lazily), hashed file
// names under assets/ (the cloud serves them with a year's cache), a manifest of the chunks, and a gzip copy beside each
// script and style sheet, which the cloud sends to browsers that accept it.
import { fileURLToPath, URL } from 'node:url'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'

function precompress(): Plugin {
  let outDir = fileURLToPath(new URL('./dist', import.meta.url))
  return {
    name: 'precompress',
    apply: 'build',
    configResolved(c) {
      outDir = resolve(c.root, c.build.outDir)
    },
    closeBundle() {
      const dir = join(outDir, 'assets')
      for (const name of readdirSync(dir)) {
        if (/\.(js|css|svg)$/.test(name)) {
          const path = join(dir, name)
          writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }))
        }
      }
    },
  }
}

export default defineConfig({
  plugins: [vue(), precompress()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    target: 'es2022',
    // dist/.vite/manifest.json: which chunks each page loads (scripts/bundle-size.mjs).
    manifest: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // `npm run dev` talks to a cloud on :8080 (the demo's port).
    proxy: { '/v1': 'http://127.0.0.1:8080', '/openapi.json': 'http://127.0.0.1:8080' },
  },
})
