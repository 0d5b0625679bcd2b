import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiFixture, t0, token } from './api-fixture.js';

let f: ApiFixture;
afterEach(() => f?.close());

const fingerprint = createHash('sha256').update(token).digest('hex').slice(0, 8);
const iso = (ms: number): string => new Date(ms).toISOString();

async function started(...backends: string[]): Promise<ApiFixture> {
  f = new ApiFixture();
  await f.backends(...backends);
  return f.start();
}

describe('the admin token', () => {
  it('no token configured: every mutation answers 403 MOORING_ERR_ADMIN_MUTATIONS_DISABLED, reads stay open', async () => {
    await started('b1');
    f.adminToken = undefined;
    for (const [method, path] of [
      ['POST', '/api/v1/backends/b1/drain'],
      ['POST', '/api/v1/backends/b1/undrain'],
      ['DELETE', '/api/v1/backends/b1'],
      ['POST', '/api/v1/backends'],
    ] as const) {
      const { status, body } = await f.call(method, path, { body: method === 'POST' ? {} : undefined });
      expect({ method, path, status, code: body.code }).toEqual({
        method,
        path,
        status: 403,
        code: 'MOORING_ERR_ADMIN_MUTATIONS_DISABLED',
      });
    }
    expect((await f.call('GET', '/api/v1/backends', { auth: false })).status).toBe(200);
    expect((await f.memory.readRegistry()).backends[0]?.state).toBe('active');
  });

  it.each([
    ['no Authorization', false, 'Bearer realm="mooring"'],
    ['another token', 'b'.repeat(40), 'Bearer realm="mooring", error="invalid_token"'],
    ['the token with a character more', `${token}x`, 'Bearer realm="mooring", error="invalid_token"'],
    ['a prefix of the token', token.slice(0, -1), 'Bearer realm="mooring", error="invalid_token"'],
  ] as const)('%s: 401 with WWW-Authenticate, nothing changed', async (_case, auth, challenge) => {
    await started('b1');
    const { status, headers, body } = await f.call('POST', '/api/v1/backends/b1/drain', { auth });
    expect({ status, challenge: headers['www-authenticate'], code: body.code }).toEqual({
      status: 401,
      challenge,
      code: 'MOORING_ERR_ADMIN_UNAUTHORIZED',
    });
    expect(await f.memory.readDrains()).toEqual(new Map());
  });

  it('takes the scheme in any case, and other schemes not at all', async () => {
    await started('b1');
    const basic = { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` };
    expect((await f.call('POST', '/api/v1/backends/b1/undrain', { auth: false, headers: basic })).status).toBe(401);
    const lower = { authorization: `bearer ${token}` };
    expect((await f.call('POST', '/api/v1/backends/b1/undrain', { auth: false, headers: lower })).status).toBe(200);
  });

  it('logs every mutation once: address, token fingerprint, action, target, result; never the token', async () => {
    await started('b1');
    await f.call('POST', '/api/v1/backends/b1/drain', { auth: 'wrong-token-wrong-token-wrong-token' });
    await f.call('POST', '/api/v1/backends/b1/drain');
    await f.call('DELETE', '/api/v1/backends/nope');
    await f.call('POST', '/api/v1/backends', { body: { id: 'b9', url: 'http://10.0.0.9:80' } });
    const wrong = createHash('sha256').update('wrong-token-wrong-token-wrong-token').digest('hex').slice(0, 8);
    expect(
      f.mutationLogs().map(({ remote, token: fp, action, target, result }) => ({ remote, fp, action, target, result })),
    ).toEqual([
      { remote: '127.0.0.1', fp: wrong, action: 'drain', target: 'b1', result: 'MOORING_ERR_ADMIN_UNAUTHORIZED' },
      { remote: '127.0.0.1', fp: fingerprint, action: 'drain', target: 'b1', result: 'ok' },
      { remote: '127.0.0.1', fp: fingerprint, action: 'remove', target: 'nope', result: 'MOORING_ERR_BACKEND_UNKNOWN' },
      { remote: '127.0.0.1', fp: fingerprint, action: 'add', target: 'b9', result: 'ok' },
    ]);
    expect(JSON.stringify(f.logs)).not.toContain(token);
  });

  it('reads the token at each request, so a reloaded one applies at once', async () => {
    await started('b1');
    f.adminToken = 'n'.repeat(40);
    expect((await f.call('POST', '/api/v1/backends/b1/undrain')).status).toBe(401);
    expect((await f.call('POST', '/api/v1/backends/b1/undrain', { auth: 'n'.repeat(40) })).status).toBe(200);
  });
});

describe('POST /api/v1/backends/ID/drain and undrain', () => {
  it('drains with the CLI defaults (5m, 100/s, 1012) when no body is sent', async () => {
    await started('b1', 'b2');
    const { status, body } = await f.call('POST', '/api/v1/backends/b1/drain');
    expect({ status, body }).toEqual({
      status: 200,
      body: {
        backend: 'b1',
        drain: { startedAt: iso(t0), deadlineAt: iso(t0 + 300_000), closeRate: 100, closeCode: 1012 },
      },
    });
    expect((await f.memory.readRegistry()).backends.map((backend) => backend.state)).toEqual(['draining', 'active']);
  });

  it('takes the terms from the body: a duration or milliseconds, a rate and a close code', async () => {
    await started('b1');
    const { body } = await f.call('POST', '/api/v1/backends/b1/drain', {
      body: { deadline: '30s', closeRate: 2.5, closeCode: 4000 },
    });
    expect(body.drain).toEqual({ startedAt: iso(t0), deadlineAt: iso(t0 + 30_000), closeRate: 2.5, closeCode: 4000 });
    const again = await f.call('POST', '/api/v1/backends/b1/drain', { body: { deadline: 1_000 } });
    expect(again.body.drain.deadlineAt).toBe(iso(t0 + 1_000));
  });

  it.each([
    [{ closeCode: 1006 }, /^closeCode: expected a WebSocket close code that may be sent .* got 1006$/],
    [{ closeCode: '1012; DROP' }, /^closeCode: expected/],
    [{ deadline: -5 }, /^deadline: expected a duration such as 30s, 5m or 1h, got -5$/],
    [{ deadline: 'later' }, /^deadline: expected a duration/],
    [{ closeRate: 0 }, /^closeRate: expected a positive number, got 0$/],
    [{ closeRate: 'fast' }, /^closeRate: expected a positive number/],
    [{ deadline: '1m', force: true }, /^unknown key "force" in the body \(expected deadline, closeRate, closeCode\)$/],
  ])('refuses %j with 400 naming the field', async (terms, message) => {
    await started('b1');
    const { status, body } = await f.call('POST', '/api/v1/backends/b1/drain', { body: terms });
    expect({ status, code: body.code }).toEqual({ status: 400, code: 'MOORING_ERR_OPERATOR_INVALID_ARGUMENT' });
    expect(body.message).toMatch(message);
    expect(await f.memory.readDrains()).toEqual(new Map());
  });

  it('404 for an unknown backend, 400 for an id the registry could not hold', async () => {
    await started('b1');
    expect(await f.call('POST', '/api/v1/backends/nope/drain').then(({ status, body }) => ({ status, body }))).toEqual({
      status: 404,
      body: { code: 'MOORING_ERR_BACKEND_UNKNOWN', message: 'unknown backend "nope"' },
    });
    for (const id of ['a%20b', '%E0%A4%A', 'x'.repeat(65), '%2F', '-x']) {
      const { status, body } = await f.call('POST', `/api/v1/backends/${id}/drain`);
      expect({ id, status, code: body.code }).toEqual({
        id,
        status: 400,
        code: 'MOORING_ERR_OPERATOR_INVALID_ARGUMENT',
      });
    }
  });

  it('undrain makes it active again and drops the terms; unknown is 404; a body other than {} is refused', async () => {
    await started('b1');
    await f.call('POST', '/api/v1/backends/b1/drain');
    expect((await f.call('POST', '/api/v1/backends/b1/undrain', { body: { now: true } })).status).toBe(400);
    const { status, body } = await f.call('POST', '/api/v1/backends/b1/undrain', { body: {} });
    expect({ status, body }).toEqual({ status: 200, body: { backend: 'b1', state: 'active' } });
    expect(await f.memory.readDrains()).toEqual(new Map());
    expect((await f.call('POST', '/api/v1/backends/nope/undrain')).status).toBe(404);
  });
});

describe('POST /api/v1/backends', () => {
  it('adds (201), then updates (200) keeping a draining backend draining', async () => {
    await started();
    const added = await f.call('POST', '/api/v1/backends', {
      body: { id: 'b1', url: 'http://10.0.0.1:3000/', weight: 2 },
    });
    expect({ status: added.status, body: added.body }).toEqual({
      status: 201,
      body: { created: true, backend: { id: 'b1', url: 'http://10.0.0.1:3000', weight: 2, state: 'active' } },
    });
    await f.call('POST', '/api/v1/backends/b1/drain');
    const updated = await f.call('POST', '/api/v1/backends', { body: { id: 'b1', url: 'http://10.0.0.2:3000' } });
    expect({ status: updated.status, body: updated.body }).toEqual({
      status: 200,
      body: { created: false, backend: { id: 'b1', url: 'http://10.0.0.2:3000', weight: 1, state: 'draining' } },
    });
  });

  it.each([
    [{ id: 'b1', url: 'ftp://10.0.0.1:3000' }, /^backend "b1": url: expected an http/],
    [{ id: 'b 1', url: 'http://10.0.0.1:3000' }, /^backend "b 1": id: /],
    [{ id: 'b1', url: 'http://10.0.0.1:3000', weight: 0 }, /^backend "b1": weight: /],
    [{ id: 'b1', url: 'http://10.0.0.1:3000', weight: '3' }, /^backend "b1": weight: /],
    [{ url: 'http://10.0.0.1:3000' }, /^backend undefined: id: /],
    [
      { id: 'b1', url: 'http://10.0.0.1:3000', state: 'draining' },
      /^unknown key "state" in the body \(expected id, url, weight\)$/,
    ],
  ])('refuses %j with 400', async (input, message) => {
    await started();
    const { status, body } = await f.call('POST', '/api/v1/backends', { body: input });
    expect({ status, code: body.code }).toEqual({ status: 400, code: 'MOORING_ERR_OPERATOR_INVALID_ARGUMENT' });
    expect(body.message).toMatch(message);
    expect((await f.memory.readRegistry()).backends).toEqual([]);
  });

  it('needs a body', async () => {
    await started();
    const { status, body } = await f.call('POST', '/api/v1/backends');
    expect({ status, code: body.code }).toEqual({ status: 400, code: 'MOORING_ERR_ADMIN_BODY_INVALID' });
  });
});

describe('DELETE /api/v1/backends/ID', () => {
  it('is refused with 409 while the backend has live connections; ?force=true removes it anyway', async () => {
    await started('b1');
    await f.heartbeat('n1');
    await f.open('n1', 'b1', 2);
    const refused = await f.call('DELETE', '/api/v1/backends/b1');
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 409,
      body: {
        code: 'MOORING_ERR_BACKEND_HAS_CONNECTIONS',
        message: 'backend b1 has 2 live connection(s): drain it first, or remove it with ?force=true',
      },
    });
    expect((await f.memory.readRegistry()).backends).toHaveLength(1);
    const forced = await f.call('DELETE', '/api/v1/backends/b1?force=true');
    expect({ status: forced.status, body: forced.body }).toEqual({
      status: 200,
      body: { backend: 'b1', removed: true, liveLeft: 2 },
    });
    expect((await f.memory.readRegistry()).backends).toEqual([]);
  });

  it('removes an idle backend; unknown is 404; force must be true or false', async () => {
    await started('b1');
    expect((await f.call('DELETE', '/api/v1/backends/b1?force=maybe')).status).toBe(400);
    expect((await f.call('DELETE', '/api/v1/backends/b1?force=false')).body).toEqual({
      backend: 'b1',
      removed: true,
      liveLeft: 0,
    });
    expect((await f.call('DELETE', '/api/v1/backends/b1')).status).toBe(404);
  });
});
