/** Headers through which a client could claim another address, scheme, host, port or path prefix. */
export const spoofedForwarding: Readonly<Record<string, string>> = {
  'x-forwarded-for': '6.6.6.6',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'evil.example',
  'x-forwarded-port': '1',
  'x-forwarded-prefix': '/admin',
  'x-forwarded-server': 'evil',
  'x-real-ip': '6.6.6.6',
  'true-client-ip': '6.6.6.6',
  'x-client-ip': '6.6.6.6',
  forwarded: 'for=6.6.6.6',
};

/** Of those, the ones Mooring drops from an untrusted peer (it sets the X-Forwarded-* four itself). */
export const droppedForwarding = [
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-real-ip',
  'true-client-ip',
  'x-client-ip',
  'forwarded',
];
