import { defineConfig } from "vite";

/** This folder, as a file-system path (avoids needing Node's types in the client project). */
const root = decodeURIComponent(new URL(".", import.meta.url).pathname).replace(/^\/([A-Za-z]:\/)/, "$1");

const api = "http://127.0.0.1:3000";

export default defineConfig({
  root,
  publicDir: "public",
  // React's automatic JSX runtime (Vite 8 transpiles TSX with Oxc itself).
  oxc: { jsx: { runtime: "automatic", importSource: "react" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // No inline <script>/<style>: the server sends a strict CSP (script-src 'self', style-src 'self').
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
    proxy: {
      "/api": { target: api, changeOrigin: false },
      "/healthz": { target: api, changeOrigin: false },
      "/socket.io": { target: api, ws: true, changeOrigin: false },
    },
  },
  preview: {
    host: "127.0.0.1",
    port: 4173,
  },
});
