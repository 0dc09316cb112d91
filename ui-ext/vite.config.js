import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// base './': the same build loads at the standalone manager's /ui/ and from CloudStack UI's plugins folder.
export default defineConfig({
  base: './',
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { proxy: { '/client': 'http://127.0.0.1:8080' } },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.js'],
    setupFiles: ['tests/setup.js'],
    testTimeout: 30000, // ant-design-vue's first render is slow on a loaded 2-core machine
  },
})
