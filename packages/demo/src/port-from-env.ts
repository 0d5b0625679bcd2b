/** A port number from an environment variable, or `fallback`; exits 2 with a clear line on a bad value. */
export function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`${name} must be a port number (1-65535), got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return port;
}
