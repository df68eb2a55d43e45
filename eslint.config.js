// ESLint for the whole project: typescript-eslint's recommended rules, Pulumi's rules against
// outputs inside template literals (they would print "Calling [toString] on an Output<T>"), and
// eslint-config-prettier so that layout is Prettier's alone. `npm run lint` runs it with zero warnings allowed.
const js = require("@eslint/js");
const tseslint = require("typescript-eslint");
const pulumi = require("@pulumi/eslint-plugin");
const prettier = require("eslint-config-prettier");

module.exports = tseslint.config(
  { ignores: ["node_modules/", "policy/node_modules/", "bin/", "coverage/", ".lab/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ["*.js"] }, tsconfigRootDir: __dirname } },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      // Pulumi's runtime internals and the policy SDK's deserialized values are untyped by nature.
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-explicit-any": "off",
      // Refusing control characters in config values is exactly what those patterns are for.
      "no-control-regex": "off",
    },
  },
  // Shaped like the real SDK's `types.input.<Module>` namespaces, so it can be swapped for it.
  { files: ["tencentcloud/sdk/types.ts"], rules: { "@typescript-eslint/no-namespace": "off" } },
  {
    files: ["**/*.js"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable", __dirname: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  prettier,
);
