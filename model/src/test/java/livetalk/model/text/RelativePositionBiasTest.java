package livetalk.model.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RelativePositionBiasTest {
    @Test
    void bucketsOfUmt5() {
        // 32 buckets, max_dist 128: 16 per sign, exact below 8, log region 8..15 (docs/model.md#umt5).
        for (int r = 0; r < 8; r++) {
            assertEquals(r, RelativePositionBias.bucket(-r, 32, 128));
            assertEquals(r == 0 ? 0 : 16 + r, RelativePositionBias.bucket(r, 32, 128));
        }
        assertEquals(8, RelativePositionBias.bucket(-8, 32, 128));
        assertEquals(24, RelativePositionBias.bucket(8, 32, 128));
        assertEquals(8 + (int) (Math.log(20 / 8.0) / Math.log(16) * 8), RelativePositionBias.bucket(-20, 32, 128));
        for (int r : new int[]{91, 128, 200, 511}) {
            assertEquals(15, RelativePositionBias.bucket(-r, 32, 128));
            assertEquals(31, RelativePositionBias.bucket(r, 32, 128));
        }
        // Monotone in |rel| on each side.
        for (int r = 1; r < 600; r++) {
            assert RelativePositionBias.bucket(r, 32, 128) >= RelativePositionBias.bucket(r - 1 == 0 ? 1 : r - 1, 32, 128);
            assert RelativePositionBias.bucket(-r, 32, 128) >= RelativePositionBias.bucket(-(r - 1), 32, 128);
        }
    }

    @Test
    void fillUsesKeyMinusQuery() {
        int heads = 2, n = 5, buckets = 32;
        float[] table = new float[buckets * heads];
        for (int b = 0; b < buckets; b++) for (int h = 0; h < heads; h++) table[b * heads + h] = b * 10 + h;
        float[] keyBias = {0, 0, 0, -1e9f, -1e9f};
        float[] out = new float[heads * n * n];
        RelativePositionBias.fill(out, table, buckets, heads, n, 128, keyBias);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    float expect = RelativePositionBias.bucket(j - i, buckets, 128) * 10 + h + keyBias[j];
                    assertEquals(expect, out[(h * n + i) * n + j]);
                }
            }
        }
    }
}
