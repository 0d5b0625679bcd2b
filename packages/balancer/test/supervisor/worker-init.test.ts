import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { parseWorkerInit } from '../../src/supervisor/worker-init.js';

const config = loadConfig({
  flags: { nodeId: 'n1', workers: '2', cookieSecret: 'a-secret-of-sixteen+', redis: 'redis://127.0.0.1:1' },
});

describe('parseWorkerInit', () => {
  it('accepts the configuration the primary validated', () => {
    expect(parseWorkerInit({ type: 'init', config })).toEqual(config);
    // What a worker receives went through JSON (the IPC channel): the same shape must pass.
    expect(parseWorkerInit(JSON.parse(JSON.stringify({ type: 'init', config })))).toEqual(config);
    expect(parseWorkerInit({ type: 'init', config: loadConfig({ flags: { nodeId: 'n2' } }) }).nodeId).toBe('n2');
  });

  it.each([
    ['no message', undefined, /expected an init message/],
    ['another message first', { type: 'backends', backends: [] }, /expected an init message/],
    ['no configuration', { type: 'init' }, /without a configuration/],
    ['an unknown key', { type: 'init', config: { ...config, surprise: 1 } }, /unknown key surprise/],
    ['a missing key', { type: 'init', config: { ...config, listen: undefined } }, /listen must be/],
    ['a wrong type', { type: 'init', config: { ...config, workers: '2' } }, /workers must be a number/],
    [
      'an array where a value is due',
      { type: 'init', config: { ...config, backends: {} } },
      /backends must be an array/,
    ],
    ['a wrong optional', { type: 'init', config: { ...config, redis: 6379 } }, /redis must be a string/],
  ])('refuses %s', (_name, message, error) => {
    expect(() => parseWorkerInit(message)).toThrow(error);
  });
});
