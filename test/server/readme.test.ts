import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configSchema, envName, flagName } from '../../src/server/config.ts';
import { PROJECT_ROOT } from '../harness/media.ts';

describe('README', () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');

  it('documents every configuration key with its env variable and flag', () => {
    for (const key of Object.keys(configSchema.shape)) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
      assert.ok(row, `README configuration table lacks ${key}`);
      assert.ok(row.includes(envName(key)) && row.includes(flagName(key)), `row of ${key}: ${row}`);
    }
  });

  it('gives the two set-up commands and the test command that CI runs', () => {
    assert.match(readme, /npm install[^\n]*\n+npm start/);
    assert.match(readme, /npm test/);
    assert.match(readFileSync(join(PROJECT_ROOT, '.ci/run'), 'utf8'), /^npm test$/m);
  });
});
