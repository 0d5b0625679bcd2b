import { createSecureContext, type SecureContext, type TlsOptions } from 'node:tls';
import type { MooringConfig } from '../../config/schema.js';
import { chooseCertificate } from './sni.js';
import type { TlsMaterial } from './tls-material.js';

/**
 * The TLS side of a worker's listener: secure contexts built from the primary's material, one per
 * certificate, chosen by SNI. `update()` swaps them in place: handshakes from then on use the new
 * certificates, established connections are not touched (their TLS session is already set up).
 */
export class TlsContexts {
  readonly #config: Readonly<MooringConfig>;
  #material: TlsMaterial;
  #contexts: SecureContext[];

  constructor(config: Readonly<MooringConfig>, material: TlsMaterial) {
    this.#config = config;
    this.#material = material;
    this.#contexts = this.#build(material);
  }

  /** The options of `https.createServer`: defaults from the first certificate, the rest by SNI. */
  serverOptions(): TlsOptions {
    const { clientCa, ticketKey } = this.#material;
    return {
      ...this.#contextOptions(this.#material, 0),
      ALPNProtocols: ['http/1.1'],
      minVersion: this.#config.tlsMinVersion,
      requestCert: this.#config.tlsClientAuth !== 'none',
      // `request`: a client without a certificate, or with one that does not verify, still gets in;
      // the application can read `req.socket.authorized`.
      rejectUnauthorized: this.#config.tlsClientAuth === 'require',
      ...(clientCa === undefined ? {} : { ca: clientCa }),
      ...(ticketKey === undefined ? {} : { ticketKeys: Buffer.from(ticketKey, 'base64') }),
      SNICallback: (servername, done) =>
        done(null, this.#contexts[chooseCertificate(servername, this.#material.certificates)]),
    };
  }

  /** New material (a certificate replaced on disk, SIGHUP): the contexts of later handshakes. */
  update(material: TlsMaterial): { defaultOptions: TlsOptions; ticketKey: Buffer | undefined } {
    this.#contexts = this.#build(material);
    this.#material = material;
    const ticketKey = material.ticketKey === undefined ? undefined : Buffer.from(material.ticketKey, 'base64');
    return { defaultOptions: this.#contextOptions(material, 0), ticketKey };
  }

  #build(material: TlsMaterial): SecureContext[] {
    return material.certificates.map((_certificate, index) =>
      createSecureContext(this.#contextOptions(material, index)),
    );
  }

  #contextOptions(material: TlsMaterial, index: number): TlsOptions {
    const certificate = material.certificates[index]!;
    return {
      cert: certificate.cert,
      key: certificate.key,
      minVersion: this.#config.tlsMinVersion,
      ...(material.clientCa === undefined ? {} : { ca: material.clientCa }),
    };
  }
}
