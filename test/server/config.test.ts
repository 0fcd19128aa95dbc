import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, envName, flagName, loadConfig } from '../../src/server/config.ts';

describe('config', () => {
  it('has embedded defaults: loopback 8080, CPU', () => {
    const c = loadConfig({}, {});
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 8080);
    assert.equal(c.executionProvider, 'cpu');
    assert.deepEqual(c.whipTokens, {});
  });

  it('flags override env, env overrides defaults', () => {
    const c = loadConfig({ MICROEMO_PORT: '9000', MICROEMO_FACE_FRAME_HZ: '5' }, { port: '9100' });
    assert.equal(c.port, 9100);
    assert.equal(c.faceFrameHz, 5);
  });

  it('parses token maps', () => {
    const c = loadConfig({ MICROEMO_WHIP_TOKENS: 'studio=abc, lab=def', MICROEMO_EVENT_TOKENS: 't1=studio|lab,t2=*' });
    assert.deepEqual(c.whipTokens, { studio: 'abc', lab: 'def' });
    assert.deepEqual(c.eventTokens, { t1: ['studio', 'lab'], t2: ['*'] });
  });

  it('names the bad key, its source and the allowed values', () => {
    assert.throws(
      () => loadConfig({}, { port: 'abc' }),
      (e: unknown) => e instanceof ConfigError && /port \(--port="abc"\)/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ MICROEMO_EXECUTION_PROVIDER: 'tpu' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /executionProvider \(MICROEMO_EXECUTION_PROVIDER/.test(e.message) &&
        /cpu, cuda/.test(e.message),
    );
    assert.throws(() => loadConfig({ MICROEMO_WHIP_TOKENS: 'studio' }), /whipTokens.*expected room=token/);
  });

  it('maps keys to env and flag names', () => {
    assert.equal(envName('maxSessionsPerRoom'), 'MICROEMO_MAX_SESSIONS_PER_ROOM');
    assert.equal(flagName('maxSessionsPerRoom'), '--max-sessions-per-room');
  });
});
