import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config-error.js';
import type { MooringConfig } from '../config/schema.js';
import type { ServerCertificate, TlsMaterial } from '../proxy/tls/tls-material.js';

/** A session ticket key is 48 bytes (Node: 16 of name, 16 of AES key, 16 of HMAC key). */
const ticketKeyBytes = 48;

/** Whether the node needs TLS material at all: a TLS listener, or a CA for `https://` backends. */
export function usesTls(config: Readonly<MooringConfig>): boolean {
  return config.listenTls !== undefined || config.backendCa !== undefined;
}

/**
 * Reads and checks everything TLS needs from disk: each certificate parses, matches its key, and
 * names the hosts it serves; CA bundles and the ticket key read. Throws ConfigError naming the
 * field and the file; the caller decides what that costs (at start: exit 2; on reload: the old
 * material stays).
 */
export function readTlsMaterial(config: Readonly<MooringConfig>): TlsMaterial {
  const certificates = config.tlsCert.map((file, index) => readCertificate(file, config.tlsKey[index]!, index));
  const clientCa = config.tlsClientCa === undefined ? undefined : readText('tlsClientCa', config.tlsClientCa);
  const backendCa = config.backendCa === undefined ? undefined : readText('backendCa', config.backendCa);
  const ticketKey = config.tlsTicketKeyFile === undefined ? undefined : readTicketKey(config.tlsTicketKeyFile);
  return { certificates, clientCa, backendCa, ticketKey };
}

function readCertificate(certFile: string, keyFile: string, index: number): ServerCertificate {
  const cert = readText(`tlsCert.${index}`, certFile);
  const key = readText(`tlsKey.${index}`, keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new ConfigError(`tlsCert.${index} (${certFile}): not a PEM certificate: ${(err as Error).message}`);
  }
  let matches: boolean;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new ConfigError(`tlsKey.${index} (${keyFile}): not a PEM private key: ${(err as Error).message}`);
  }
  if (!matches) throw new ConfigError(`tlsKey.${index} (${keyFile}): does not match the certificate ${certFile}`);
  return { file: certFile, cert, key, names: dnsNames(x509), validTo: Date.parse(x509.validTo) };
}

/** The DNS names a certificate serves: its subject alternative names, else its subject's CN. */
export function dnsNames(x509: X509Certificate): string[] {
  const alternatives = (x509.subjectAltName ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  if (alternatives.length > 0) return alternatives;
  const commonName = /(?:^|\n)CN=([^\n]+)/.exec(x509.subject)?.[1];
  return commonName ? [commonName.toLowerCase()] : [];
}

function readTicketKey(file: string): string {
  const bytes = readBytes('tlsTicketKeyFile', file);
  if (bytes.length < ticketKeyBytes) {
    throw new ConfigError(`tlsTicketKeyFile (${file}): expected ${ticketKeyBytes} bytes, got ${bytes.length}`);
  }
  // Node's TLS holds one ticket key: the first one of the file is it.
  return bytes.subarray(0, ticketKeyBytes).toString('base64');
}

function readText(field: string, file: string): string {
  return readBytes(field, file).toString('utf8');
}

function readBytes(field: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${field} (${file}): cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
