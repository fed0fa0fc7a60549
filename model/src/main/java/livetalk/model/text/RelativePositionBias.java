package livetalk.model.text;

/**
 * T5's bidirectional relative-position buckets (docs/model.md#umt5, docs/numerics.md#umt5-attention): {@code rel = key − query};
 * half of the buckets for rel > 0; distances below half a side are exact, larger ones share
 * log-spaced buckets up to {@code maxDist}, clamped to the last bucket. Computed in float32 as
 * the official code computes it, so that bucket edges fall where they fall there.
 */
public final class RelativePositionBias {
    private RelativePositionBias() {
    }

    public static int bucket(int rel, int numBuckets, int maxDist) {
        int side = numBuckets / 2;
        int bucket = rel > 0 ? side : 0;
        int a = Math.abs(rel);
        int maxExact = side / 2;
        if (a < maxExact) return bucket + a;
        float ratio = (float) a / maxExact;
        float logRatio = (float) Math.log(ratio);
        float scale = (float) Math.log((double) maxDist / maxExact);
        int large = maxExact + (int) (logRatio / scale * (float) (side - maxExact));
        return bucket + Math.min(large, side - 1);
    }

    /**
     * Fills {@code out[h, i, j] = table[bucket(j − i), h] + keyBias[j]} for an {@code n × n}
     * self-attention, {@code table} being the {@code [buckets, heads]} embedding (row-major).
     */
    public static void fill(float[] out, float[] table, int buckets, int heads, int n, int maxDist, float[] keyBias) {
        int[] bucketOf = new int[2 * n - 1];
        for (int r = -(n - 1); r <= n - 1; r++) bucketOf[r + n - 1] = bucket(r, buckets, maxDist);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < n; i++) {
                int row = (h * n + i) * n;
                for (int j = 0; j < n; j++) {
                    out[row + j] = table[bucketOf[j - i + n - 1] * heads + h] + (keyBias == null ? 0f : keyBias[j]);
                }
            }
        }
    }
}
