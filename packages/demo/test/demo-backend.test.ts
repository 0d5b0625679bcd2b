import { describe, it, expect } from 'vitest';
import { openRecordingClient, requestText } from '@mooring/testkit';
import { startDemoBackend } from '../src/demo-backend.js';

describe('demo backend', () => {
  it('serves a self-contained page with #status and #backend', async () => {
    const demo = await startDemoBackend('demo-x');
    try {
      const page = await requestText(`${demo.url}/`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('id="status"');
      expect(page.body).toContain('id="backend"');
      expect(page.body).not.toMatch(/<(script|link)[^>]+(src|href)=/);
    } finally {
      await demo.close();
    }
  });

  it('greets with hello, then echoes with its name', async () => {
    const demo = await startDemoBackend('demo-x');
    const client = await openRecordingClient(`${demo.url.replace('http:', 'ws:')}/ws`);
    try {
      // The hello may already be recorded by the time open resolves.
      const hello = client.messages[0] ?? (await client.nextMessage());
      expect(JSON.parse(String(hello))).toEqual({ type: 'hello', backend: 'demo-x' });
      expect(JSON.parse(String(await client.request('hi')))).toEqual({ type: 'echo', backend: 'demo-x', data: 'hi' });
    } finally {
      client.ws.terminate();
      await demo.close();
    }
  });
});
