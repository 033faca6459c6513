import effectPlugin from "@effect/eslint-plugin"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/.tmp/**", "docs/api/**", "bench/results/**"] },
  ...tseslint.configs.recommended,
  {
    plugins: { "@effect": effectPlugin },
    rules: {
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }],
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-namespace": "off",
      "@typescript-eslint/no-empty-object-type": "off"
    }
  },
  {
    // Internal modules import only types from the public ones: a value (a tag, a constant, a
    // function) is defined in an internal module and re-exported by its public file.
    files: ["packages/*/src/internal/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        patterns: [{
          regex: "^(\\.\\./)+[A-Z][^/]*$",
          caseSensitive: true,
          allowTypeImports: true,
          message: "An internal module imports only types from a public one: move the value into an internal " +
            "module and re-export it from the public file."
        }]
      }]
    }
  }
)
