import type { RawData } from 'ws';
import { WebSocketServer } from 'ws';

/** Largest message the echo server accepts: big enough for any payload test. */
export const ECHO_MAX_PAYLOAD = 64 * 1024 * 1024;

/**
 * A `noServer` WebSocket server that echoes every message with its original
 * text/binary type and names the backend in the 101 response (`X-Backend`),
 * so a test learns which backend it reached without an extra message that
 * would disturb echo assertions.
 */
export function createEchoWebSocketServer(name: string): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: true, maxPayload: ECHO_MAX_PAYLOAD });
  wss.on('headers', (headers: string[]) => headers.push(`X-Backend: ${name}`));
  wss.on('connection', (ws) => {
    // A peer that vanishes mid-frame must not crash the test process.
    ws.on('error', () => undefined);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      ws.send(data as Buffer, { binary: isBinary });
    });
  });
  return wss;
}
