import { describe, expect, it } from 'vitest';
import { addBackend } from '../../src/operator/add-backend.js';
import { checkBackend, checkBackendId } from '../../src/operator/backend-input.js';
import { drainBackend, undrainBackend } from '../../src/operator/drain-backend.js';
import { OperatorError } from '../../src/operator/operator-error.js';
import { removeBackend } from '../../src/operator/remove-backend.js';
import { failureOf, OperatorFixture } from './operator-fixture.js';

const terms = { deadlineMs: 60_000, closeRate: 100, closeCode: 1012 };

describe('checkBackend / checkBackendId', () => {
  it('normalizes the URL to its origin and defaults the weight to 1', () => {
    expect(checkBackend({ id: 'b1', url: 'http://10.0.0.1:3000/' })).toEqual({
      id: 'b1',
      url: 'http://10.0.0.1:3000',
      weight: 1,
      state: 'active',
    });
  });

  it.each([
    [{ id: 'b 1', url: 'http://10.0.0.1:3000' }, /^backend "b 1": id: expected a backend id/],
    [{ id: 'b1', url: 'ftp://10.0.0.1:3000' }, /^backend "b1": url: expected an http/],
    [{ id: 'b1', url: 'http://10.0.0.1:3000', weight: 0 }, /^backend "b1": weight: /],
    [{ id: 'b1', url: 'http://10.0.0.1:3000', weight: '2' }, /^backend "b1": weight: /],
    [{ id: 7, url: 'http://10.0.0.1:3000' }, /^backend 7: id: /],
    [{ id: 'b1', url: undefined }, /^backend "b1": url: /],
  ])('refuses %j as a bad argument, with the registry message', async (input, message) => {
    const error = await failureOf(() => checkBackend(input));
    expect(error).toBeInstanceOf(OperatorError);
    expect(error.code).toBe('MOORING_ERR_OPERATOR_INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });

  it.each(['', 'a b', 'x'.repeat(65), '-lead', 'semi;colon', '%2F'])('refuses the id %j', async (id) => {
    const error = await failureOf(() => checkBackendId(id));
    expect(error.code).toBe('MOORING_ERR_OPERATOR_INVALID_ARGUMENT');
    expect(error.message).toContain(`backend id ${JSON.stringify(id)}: expected a backend id`);
  });
});

describe('addBackend', () => {
  it('registers a new backend active, and says it created it', async () => {
    const f = new OperatorFixture();
    const added = await addBackend(f.store, { id: 'b1', url: 'http://10.0.0.1:3000', weight: 2 });
    expect(added).toEqual({
      created: true,
      backend: { id: 'b1', url: 'http://10.0.0.1:3000', weight: 2, state: 'active' },
    });
    expect((await f.store.readRegistry()).backends).toEqual([added.backend]);
  });

  it('updates the URL and weight of a draining backend and keeps it draining with its terms', async () => {
    const f = new OperatorFixture();
    await f.backends('b1');
    const drain = await drainBackend(f.store, 'b1', terms, f.now);
    const updated = await addBackend(f.store, { id: 'b1', url: 'http://10.0.0.9:3000', weight: 3 });
    expect(updated).toEqual({
      created: false,
      backend: { id: 'b1', url: 'http://10.0.0.9:3000', weight: 3, state: 'draining' },
    });
    expect((await f.store.readDrains()).get('b1')).toEqual(drain);
  });

  it('checks the input before it touches the store', async () => {
    const f = new OperatorFixture();
    const error = await failureOf(() => addBackend(f.store, { id: 'b1', url: 'http://x:1/path' }));
    expect(error.code).toBe('MOORING_ERR_OPERATOR_INVALID_ARGUMENT');
    expect((await f.store.readRegistry()).backends).toEqual([]);
  });
});

describe('drainBackend / undrainBackend', () => {
  it('records the terms from now, and a second drain keeps the first start with the new terms', async () => {
    const f = new OperatorFixture();
    await f.backends('b1', 'b2');
    const start = f.at;
    expect(await drainBackend(f.store, 'b1', terms, f.now)).toEqual({
      startedAt: start,
      deadlineAt: start + 60_000,
      closeRate: 100,
      closeCode: 1012,
    });
    f.at += 5_000;
    const again = await drainBackend(f.store, 'b1', { deadlineMs: 0, closeRate: 5, closeCode: 1001 }, f.now);
    expect(again).toEqual({ startedAt: start, deadlineAt: start + 5_000, closeRate: 5, closeCode: 1001 });
    expect((await f.store.readRegistry()).backends.map((backend) => backend.state)).toEqual(['draining', 'active']);
    await undrainBackend(f.store, 'b1');
    expect((await f.store.readRegistry()).backends.map((backend) => backend.state)).toEqual(['active', 'active']);
    expect(await f.store.readDrains()).toEqual(new Map());
  });

  it('refuses an unknown backend (not found) and a bad id or bad terms (bad argument)', async () => {
    const f = new OperatorFixture();
    expect(await failureOf(() => drainBackend(f.store, 'nope', terms, f.now))).toMatchObject({
      code: 'MOORING_ERR_BACKEND_UNKNOWN',
      message: 'unknown backend "nope"',
    });
    expect(await failureOf(() => undrainBackend(f.store, 'nope'))).toMatchObject({
      code: 'MOORING_ERR_BACKEND_UNKNOWN',
      message: 'unknown backend "nope"',
    });
    expect((await failureOf(() => undrainBackend(f.store, '../x'))).code).toBe('MOORING_ERR_OPERATOR_INVALID_ARGUMENT');
    await f.backends('b1');
    const bad = { ...terms, closeCode: 1006 };
    expect((await failureOf(() => drainBackend(f.store, 'b1', bad, f.now))).code).toBe(
      'MOORING_ERR_OPERATOR_INVALID_ARGUMENT',
    );
    expect(await f.store.readDrains()).toEqual(new Map());
  });
});

describe('removeBackend', () => {
  it('removes a backend with no live connection', async () => {
    const f = new OperatorFixture();
    await f.backends('b1', 'b2');
    expect(await removeBackend(f.store, 'b1', { force: false })).toEqual({ live: 0 });
    expect((await f.store.readRegistry()).backends.map((backend) => backend.id)).toEqual(['b2']);
  });

  it('is refused while live connections are left anywhere in the cluster, unless forced', async () => {
    const f = new OperatorFixture();
    await f.backends('b1');
    await f.node('a');
    await f.node('b');
    await f.open('a', 'b1', 1);
    await f.open('b', 'b1', 2);
    expect(await failureOf(() => removeBackend(f.store, 'b1', { force: false }))).toMatchObject({
      code: 'MOORING_ERR_BACKEND_HAS_CONNECTIONS',
      message: 'backend b1 has 3 live connection(s)',
    });
    expect((await f.store.readRegistry()).backends).toHaveLength(1);
    expect(await removeBackend(f.store, 'b1', { force: true })).toEqual({ live: 3 });
    expect((await f.store.readRegistry()).backends).toHaveLength(0);
  });

  it('refuses an unknown backend and a bad id', async () => {
    const f = new OperatorFixture();
    expect((await failureOf(() => removeBackend(f.store, 'nope', { force: true }))).code).toBe(
      'MOORING_ERR_BACKEND_UNKNOWN',
    );
    expect((await failureOf(() => removeBackend(f.store, 'no pe', { force: true }))).code).toBe(
      'MOORING_ERR_OPERATOR_INVALID_ARGUMENT',
    );
  });
});
