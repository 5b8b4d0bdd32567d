import { reactRouter } from "@react-router/dev/vite";
import { defineConfig } from "vite";
import path from "node:path";

export default defineConfig(({ isSsrBuild }) => ({
  plugins: [reactRouter()],
  resolve: {
    alias: { "~": path.resolve(import.meta.dirname, "app") },
  },
  build: {
    // Fonts (KaTeX's) stay files, never inlined as data: URLs, which the CSP's font-src 'self'
    // refuses. Both builds: the server build's copy of a stylesheet is the one the pages link.
    assetsInlineLimit: (file: string) => (/\.(woff2?|ttf|otf)$/.test(file) ? false : undefined),
    ...(isSsrBuild
      ? {}
      : {
          rollupOptions: {
            output: {
              // Two shared chunks instead of a dozen small ones: the libraries (React, React Router)
              // and the app's own shared code (components, formatting, translations, grades). A page
              // then preloads 5 scripts instead of 13 — fewer requests for a browser on a slow
              // network, fewer <link> elements for the server to render — and the libraries stay
              // cached across releases of the app.
              manualChunks(id: string) {
                // (React Router's default client entry also lives under node_modules: it stays the entry.)
                if (id.includes("/node_modules/") && !/\/entry\.client\.[jt]sx?$/.test(id)) return "vendor";
                if (/\/app\/(components|lib|i18n|services)\//.test(id)) return "app";
              },
            },
          },
        }),
  },
  ssr: {
    // Native and embedded-database packages stay external to the server bundle.
    external: ["@node-rs/argon2", "@electric-sql/pglite", "pg-boss", "postgres", "pg"],
    // The dev server must not try to pre-bundle native or WebAssembly packages either.
    optimizeDeps: { exclude: ["@node-rs/argon2", "@electric-sql/pglite"] },
  },
  optimizeDeps: { exclude: ["@node-rs/argon2", "@electric-sql/pglite"] },
}));
