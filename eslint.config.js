// Lint configuration: typescript-eslint's recommended rules over the sources, tests and benchmarks.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // kernels/ is AssemblyScript: its function decorators (@inline) are not TypeScript syntax.
  { ignores: ["build/", "node_modules/", "reports/", "kernels/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-properties": ["error", { object: "Math", property: "random", message: "Use the seeded Rng." }],
    },
  },
);
