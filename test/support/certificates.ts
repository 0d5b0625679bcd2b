import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One certificate made for a test: its files, its PEM, and its SHA-256 fingerprint. */
export interface TestCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
  readonly fingerprint: string;
}

/**
 * A certificate authority of the test's own, made with openssl (ECDSA P-256, as a modern CA
 * would issue): it signs server certificates for the names a test needs. Everything lives in a
 * temporary directory that `close()` removes.
 */
export class TestCertificateAuthority {
  readonly dir: string;
  readonly caFile: string;
  readonly ca: string;
  readonly #caKey: string;
  #serial = 0;

  constructor(name = 'Mooring Test CA') {
    this.dir = mkdtempSync(join(tmpdir(), 'mooring-certs-'));
    this.caFile = join(this.dir, 'ca.pem');
    this.#caKey = join(this.dir, 'ca.key');
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', this.#caKey]);
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      this.#caKey,
      '-sha256',
      '-days',
      '30',
      '-subj',
      `/CN=${name}`,
      '-out',
      this.caFile,
    ]);
    this.ca = readFileSync(this.caFile, 'utf8');
  }

  /**
   * A server certificate for `names` (DNS names, or IP addresses), signed by this CA. `label`
   * names its files, so that a test can issue a replacement under other names.
   */
  issue(label: string, names: readonly string[], days = 30): TestCertificate {
    const keyFile = join(this.dir, `${label}.key`);
    const csr = join(this.dir, `${label}.csr`);
    const certFile = join(this.dir, `${label}.pem`);
    const extFile = join(this.dir, `${label}.ext`);
    const san = names.map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
    writeFileSync(extFile, `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
    openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${names[0] ?? label}`, '-out', csr]);
    const serial = String(++this.#serial + 1000);
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      this.caFile,
      '-CAkey',
      this.#caKey,
      '-set_serial',
      serial,
      '-days',
      String(days),
      '-sha256',
      '-extfile',
      extFile,
      '-out',
      certFile,
    ]);
    return certificateFiles(certFile, keyFile);
  }

  /** A self-signed certificate no CA vouches for (for "unknown CA" tests). */
  selfSigned(label: string, names: readonly string[]): TestCertificate {
    const keyFile = join(this.dir, `${label}.key`);
    const certFile = join(this.dir, `${label}.pem`);
    const san = names.map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      keyFile,
      '-sha256',
      '-days',
      '30',
      '-subj',
      `/CN=${names[0] ?? label}`,
      '-addext',
      `subjectAltName=${san}`,
      '-out',
      certFile,
    ]);
    return certificateFiles(certFile, keyFile);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function certificateFiles(certFile: string, keyFile: string): TestCertificate {
  const cert = readFileSync(certFile, 'utf8');
  return {
    certFile,
    keyFile,
    cert,
    key: readFileSync(keyFile, 'utf8'),
    fingerprint: new X509Certificate(cert).fingerprint256,
  };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
