import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConnectionTable } from '../../src/control-plane/connection-table.js';
import { RegistryMerge } from '../../src/control-plane/registry-merge.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';

const backend = (id: string, url = `http://127.0.0.1:${id.length}`) => ({
  id,
  url,
  weight: 1,
  state: 'active' as const,
});
const record = (id: string, worker = 1) => ({
  id,
  node: 'n1',
  worker,
  backend: 'a',
  client: '127.0.0.1',
  route: 'balance' as const,
  startedAt: 1,
});

describe('RegistryMerge', () => {
  it('lets the registry override static backends by id, reports changes only, and malformed entries once', () => {
    const warnings: unknown[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line)) });
    const merge = new RegistryMerge([backend('a'), backend('s')], log);
    const snapshot = {
      backends: [backend('a', 'http://10.0.0.1:80')],
      malformed: [{ id: 'x', raw: 'nope', reason: 'url: bad' }],
    };
    expect(merge.apply(snapshot)?.map((entry) => [entry.id, entry.url])).toEqual([
      ['a', 'http://10.0.0.1:80'],
      ['s', 'http://127.0.0.1:1'],
    ]);
    expect(merge.apply(snapshot)).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(merge.apply({ backends: [], malformed: [] })?.map((entry) => entry.id)).toEqual(['a', 's']);
  });
});

describe('ConnectionTable', () => {
  it('publishes the whole table first, then batches, and re-publishes after a failure', async () => {
    const store = new MemoryStateStore();
    await store.heartbeat({ id: 'n1', startedAt: 0, pid: 1, listen: '', admin: '' }, 60_000);
    const table = new ConnectionTable('n1');
    table.opened(record('s1'));
    table.opened(record('s2', 2));
    await table.flush(store);
    table.closed('s1');
    table.closed('unknown');
    await table.flush(store);
    expect((await store.listConnections()).map((entry) => entry.id)).toEqual(['s2']);
    table.closeWorker(2);
    const failing = {
      ...store,
      recordConnections: () => Promise.reject(new Error('down')),
      replaceConnections: store.replaceConnections.bind(store),
    } as unknown as MemoryStateStore;
    await expect(table.flush(failing)).rejects.toThrow('down');
    table.opened(record('s3'));
    await table.flush(store);
    expect((await store.listConnections()).map((entry) => entry.id)).toEqual(['s3']);
  });
});
