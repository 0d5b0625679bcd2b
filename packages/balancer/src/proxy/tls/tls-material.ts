/** One certificate of the TLS listener, read and checked by the primary. */
export interface ServerCertificate {
  /** The certificate file, as configured (names it in logs and metrics). */
  readonly file: string;
  /** PEM of the certificate and its chain. */
  readonly cert: string;
  /** PEM of its private key. */
  readonly key: string;
  /** The DNS names it is valid for (subject alternative names, else the subject's CN), lower case. */
  readonly names: readonly string[];
  /** When it expires, milliseconds since the epoch. */
  readonly validTo: number;
}

/**
 * Everything a worker's TLS needs, as the primary read it from disk and checked it: certificates
 * whose key does not match, or files that do not parse, never get here (the primary keeps the
 * last good material instead). It crosses IPC, so it is plain data.
 */
export interface TlsMaterial {
  readonly certificates: readonly ServerCertificate[];
  /** PEM bundle client certificates must chain to. */
  readonly clientCa?: string;
  /** Session ticket key, 48 bytes in base64. */
  readonly ticketKey?: string;
  /** PEM bundle `https://` backends must chain to. */
  readonly backendCa?: string;
}
