import { defineConfig } from "vite";

// Built into the Python package's folder that `functions/console.py` serves (git ignores it).
// Relative asset URLs: the served index.html carries a <base href> for the console's own path.
export default defineConfig({
  base: "./",
  build: {
    outDir: "../shared/console_dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 600,
  },
});
