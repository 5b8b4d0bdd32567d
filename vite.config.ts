import { reactRouter } from "@react-router/dev/vite";
import { defineConfig } from "vite";
import path from "node:path";

export default defineConfig({
  plugins: [reactRouter()],
  resolve: {
    alias: { "~": path.resolve(import.meta.dirname, "app") },
  },
  ssr: {
    // Native and embedded-database packages stay external to the server bundle.
    external: ["@node-rs/argon2", "@electric-sql/pglite", "pg-boss", "postgres", "pg"],
    // The dev server must not try to pre-bundle native or WebAssembly packages either.
    optimizeDeps: { exclude: ["@node-rs/argon2", "@electric-sql/pglite"] },
  },
  optimizeDeps: { exclude: ["@node-rs/argon2", "@electric-sql/pglite"] },
});
