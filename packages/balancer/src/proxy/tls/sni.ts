import type { ServerCertificate } from './tls-material.js';

/**
 * Which certificate answers a TLS handshake for `servername` (SNI): one naming it exactly, else
 * one with a wildcard for its parent (`*.example.com` covers `a.example.com`, not
 * `a.b.example.com` nor `example.com`, RFC 6125 §6.4.3), else the first (the default, also for
 * clients that send no name). Names compare without case. Returns an index into `certificates`.
 */
export function chooseCertificate(
  servername: string | undefined,
  certificates: readonly Pick<ServerCertificate, 'names'>[],
): number {
  if (!servername) return 0;
  const name = servername.toLowerCase().replace(/\.$/, '');
  const exact = certificates.findIndex((certificate) => certificate.names.includes(name));
  if (exact >= 0) return exact;
  const dot = name.indexOf('.');
  if (dot <= 0) return 0;
  const wildcard = `*${name.slice(dot)}`;
  const covered = certificates.findIndex((certificate) => certificate.names.includes(wildcard));
  return covered >= 0 ? covered : 0;
}
