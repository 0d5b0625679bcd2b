// The certificate of the wss scenarios: one self-signed ECDSA P-256 certificate (SAN localhost and
// 127.0.0.1) made with openssl into a temp dir at the start of a run, served by every target's
// TLS listener, so that all of them do the same key exchange and signature per handshake.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from './tools.mjs';

/** Why the wss scenarios cannot run here, or undefined when they can. */
export function tlsUnavailable() {
  return which('openssl') ? undefined : 'openssl is not installed (it makes the benchmark certificate)';
}

/**
 * Makes the run's certificate. Returns the paths (`pemPath` holds the certificate followed by the
 * key, the single file HAProxy's `crt` wants), the certificate text for the clients' `ca`, and
 * `remove()`.
 */
export function makeBenchCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'mooring-bench-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const pemPath = join(dir, 'cert-and-key.pem');
  execFileSync(
    which('openssl'),
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '7',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const certPem = readFileSync(certPath, 'utf8');
  writeFileSync(pemPath, certPem + readFileSync(keyPath, 'utf8'));
  return {
    certPath,
    keyPath,
    pemPath,
    certPem,
    description: 'self-signed ECDSA P-256 (prime256v1), SAN localhost and 127.0.0.1',
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
