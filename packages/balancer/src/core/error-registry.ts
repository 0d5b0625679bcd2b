/**
 * Every failure Mooring reports to a client or an operator, with the HTTP status it is sent with.
 * Callers branch on the code, never on a message (see README, "Error codes").
 */
export const errorCodes = {
  MOORING_ERR_NO_BACKEND: { status: 503, message: 'no backend is available for this request' },
  MOORING_ERR_BACKEND_UNREACHABLE: { status: 502, message: 'no backend accepted the connection' },
  MOORING_ERR_BACKEND_FAILED: { status: 502, message: 'the backend failed while answering' },
  MOORING_ERR_BACKEND_TIMEOUT: { status: 504, message: 'the backend did not answer in time' },
  MOORING_ERR_REQUEST_ABSOLUTE_FORM: { status: 400, message: 'absolute-form request targets are refused (not a forward proxy)' },
  MOORING_ERR_REQUEST_CONNECT: { status: 405, message: 'CONNECT is refused (not a forward proxy)' },
  MOORING_ERR_REQUEST_MALFORMED: { status: 400, message: 'the request could not be parsed' },
  MOORING_ERR_REQUEST_HEADERS_TOO_LARGE: { status: 431, message: 'the request headers are too large' },
  MOORING_ERR_REQUEST_HEAD_TIMEOUT: { status: 408, message: 'the request head was not received in time' },
  MOORING_ERR_UPGRADE_UNSUPPORTED: { status: 400, message: 'only WebSocket upgrades are proxied' },
  MOORING_ERR_UPGRADE_METHOD: { status: 400, message: 'a WebSocket handshake must be a GET request' },
  MOORING_ERR_UPGRADE_VERSION: { status: 426, message: 'only WebSocket version 13 is supported' },
  MOORING_ERR_UPGRADE_KEY: { status: 400, message: 'Sec-WebSocket-Key must be 16 bytes in base64' },
  MOORING_ERR_UPGRADE_ORIGIN: { status: 403, message: 'the Origin is not allowed' },
  MOORING_ERR_CLIENT_CONNECTION_LIMIT: { status: 429, message: 'too many WebSocket connections from this client' },
  MOORING_ERR_CLIENT_HANDSHAKE_RATE: { status: 429, message: 'too many WebSocket handshakes from this client' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCodes;
