// @ts-check
import eslint from '@eslint/js';
import eslintPluginPrettierRecommended from 'eslint-plugin-prettier/recommended';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'eslint.config.mjs', 'tools/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  eslintPluginPrettierRecommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      sourceType: 'module',
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    rules: {
      // An un-awaited send() or commitOffsets() is a data-loss bug.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  // Each client adapter (src/kafka/kafkajs, src/kafka/platformatic) is the one
  // place that speaks its library: the rest of the service uses the client
  // port's plain types (src/kafka/client), so another client is one more
  // adapter folder. (Tests and tools may use the libraries directly: they
  // check the broker's truth independently of the service's own client code.)
  ...adapterBoundaries({
    kafkajs: { folder: 'src/kafka/kafkajs', modules: ['kafkajs'] },
    platformatic: { folder: 'src/kafka/platformatic', modules: ['@platformatic/kafka'] },
  }),
  {
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);

/** One block per adapter folder (it may import only its own library) and one for the rest of src. */
function adapterBoundaries(adapters) {
  const restriction = (modules) => ({
    paths: modules.map((name) => ({
      name,
      message: `Only its adapter folder under src/kafka imports ${name}: use the client port (src/kafka/client).`,
    })),
    patterns: modules.map((name) => ({
      group: [`${name}/*`],
      message: `Only its adapter folder under src/kafka imports ${name}.`,
    })),
  });
  const all = Object.values(adapters);
  return [
    {
      files: ['src/**/*.ts'],
      ignores: all.map(({ folder }) => `${folder}/**`),
      rules: { 'no-restricted-imports': ['error', restriction(all.flatMap((a) => a.modules))] },
    },
    ...all.map(({ folder }) => ({
      files: [`${folder}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          restriction(all.filter((a) => a.folder !== folder).flatMap((a) => a.modules)),
        ],
      },
    })),
  ];
}
