// Lint for the kit's own TypeScript and JavaScript: typescript-eslint's recommended rules without
// type information (fast enough to run in every `npm test`).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "notebooks/**", ".venv/**", ".jupyter-env/**", "runs/**", "data/**"] },
  {
    files: ["src/**/*.{ts,js,cjs,mjs}", "test/**/*.{ts,js,cjs,mjs}", "scripts/**/*.{ts,js,cjs,mjs}", "bench/**/*.{ts,js,cjs,mjs}", "bin/**/*.js", "*.mjs"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_`-prefixed names are deliberately unused (interface parameters, destructured leftovers).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // CommonJS entry points: plain Node scripts that must run before tsx is registered.
    files: ["bin/**/*.js", "scripts/**/*.js", "**/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
