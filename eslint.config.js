// Module boundaries (Nx tags): apps never import apps; libs never import apps; contracts import
// nothing of ours and no runtime package; only tests and tools use the testing library.
const nx = require('@nx/eslint-plugin');
const tseslint = require('typescript-eslint');

module.exports = [
  { ignores: ['**/node_modules/**', 'dist/**', 'tmp/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 2022, sourceType: 'module' } },
    plugins: { '@nx': nx, '@typescript-eslint': tseslint.plugin },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          banTransitiveDependencies: false,
          depConstraints: [
            // json-schema-to-ts derives payload types from the event schemas; it is imported with
            // `import type` only (enforced below), so contracts still load nothing at run time.
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [], allowedExternalImports: ['json-schema-to-ts'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:contracts', 'type:lib', 'type:testing'] },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.name='parseFloat']", message: 'Money is never a float: use decimal strings.' },
      ],
    },
  },
  {
    // Contracts have no runtime dependencies: json-schema-to-ts is for types only.
    files: ['libs/contracts/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: 'json-schema-to-ts', allowTypeImports: true, message: 'Contracts have no runtime dependencies: use `import type`.' }] },
      ],
    },
  },
  {
    // Tests anywhere may use the test harness; nothing else may.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
            ...['type:lib', 'type:testing', 'type:app', 'type:e2e'].map((sourceTag) => ({
              sourceTag,
              onlyDependOnLibsWithTags: ['type:contracts', 'type:lib', 'type:testing'],
            })),
          ],
        },
      ],
    },
  },
];
