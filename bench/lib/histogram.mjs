// Log-bucketed latency histogram (1 % resolution from 1 µs to ~100 s), cheap to record in the
// load processes and to merge in the parent; percentiles are read to within 1 %.
const growth = 1.01;
const logGrowth = Math.log(growth);
export const bucketCount = Math.ceil(Math.log(1e8) / logGrowth) + 1;

export function createHistogram() {
  return new Uint32Array(bucketCount);
}

/** Records a latency in microseconds. */
export function record(histogram, micros) {
  const index = micros <= 1 ? 0 : Math.min(bucketCount - 1, Math.ceil(Math.log(micros) / logGrowth));
  histogram[index]++;
}

export function merge(into, from) {
  for (let i = 0; i < bucketCount; i++) into[i] += from[i] ?? 0;
  return into;
}

export function total(histogram) {
  let n = 0;
  for (const count of histogram) n += count;
  return n;
}

/** Percentile (0–100) in microseconds: the upper bound of the bucket holding that rank. */
export function percentileMicros(histogram, p) {
  const n = total(histogram);
  if (n === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  let seen = 0;
  for (let i = 0; i < bucketCount; i++) {
    seen += histogram[i];
    if (seen >= rank) return growth ** i;
  }
  return growth ** (bucketCount - 1);
}
