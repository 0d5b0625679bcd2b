/**
 * Keys up to 341 UTF-16 units (≤ 1023 UTF-8 bytes) are encoded into this reused buffer instead of
 * a fresh one. JS runs one call at a time, so nothing else can touch it mid-call. Longer keys get
 * their own buffer, so one huge header cannot pin a huge scratch for the life of the worker.
 */
const scratch = new Uint8Array(1024);
const encoder = new TextEncoder();

/**
 * Hash of a request key: MurmurHash3 x86 32-bit (Appleby), seed 0, over the key's UTF-8 bytes.
 * It runs on every routing decision, so it must be cheap: it costs tens of ns in JS, while SHA-1
 * through node:crypto costs several hundred. It is a standard function, so other tools can
 * reproduce a mapping (Python: `mmh3.hash(key, 0, signed=False)`). Not keyed: the client can
 * choose its key and so its backend either way, and bounded load limits the harm.
 */
export function hashKey(key: string): number {
  const ascii = murmur3Ascii(key);
  if (ascii >= 0) return ascii;
  if (key.length * 3 > scratch.length) {
    const bytes = Buffer.from(key, 'utf8');
    return murmur3(bytes, bytes.length);
  }
  const { written } = encoder.encodeInto(key, scratch);
  return murmur3(scratch, written);
}

const c1 = 0xcc9e2d51;
const c2 = 0x1b873593;

/**
 * MurmurHash3 of an ASCII key read straight from its UTF-16 code units, which are then its UTF-8
 * bytes: most keys (addresses, user and room ids) are ASCII, and this skips the encoder, which
 * costs more than the hash. Returns -1 at the first non-ASCII unit; the caller then encodes.
 */
function murmur3Ascii(key: string): number {
  const length = key.length;
  let h = 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    const b0 = key.charCodeAt(i);
    const b1 = key.charCodeAt(i + 1);
    const b2 = key.charCodeAt(i + 2);
    const b3 = key.charCodeAt(i + 3);
    if ((b0 | b1 | b2 | b3) > 0x7f) return -1;
    h = mixBlock(h, b0 | (b1 << 8) | (b2 << 16) | (b3 << 24));
  }
  let k = 0;
  for (let i = length - 1; i >= blocks; i--) {
    const unit = key.charCodeAt(i);
    if (unit > 0x7f) return -1;
    k = (k << 8) | unit;
  }
  if (length > blocks) h ^= mixTail(k);
  return fmix32(h ^ length);
}

function murmur3(bytes: Uint8Array, length: number): number {
  let h = 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    h = mixBlock(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = bytes[blocks]!;
    if (tail >= 2) k ^= bytes[blocks + 1]! << 8;
    if (tail === 3) k ^= bytes[blocks + 2]! << 16;
    h ^= mixTail(k);
  }
  return fmix32(h ^ length);
}

/** One 4-byte block (little-endian) into the state. */
function mixBlock(state: number, block: number): number {
  let h = state ^ mixTail(block);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The scrambled block, as the 1–3 tail bytes are mixed in (without the state's rotation). */
function mixTail(block: number): number {
  let k = Math.imul(block, c1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, c2);
}

/** Murmur3's finalizer: every input bit affects every output bit (avalanche). */
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
