package livetalk.model.dit;

import livetalk.io.CheckpointException;

/**
 * 3-D rotary position tables (docs/model.md#rope, docs/numerics.md#rope-layout). Each head's {@code d} values are viewed as
 * {@code d/2} interleaved pairs {@code (x[2j], x[2j+1])}; the first {@code (d − 2·(d//3))/2} pairs
 * rotate with the frame index, the next {@code (d//3)/2} with the row, the last {@code (d//3)/2}
 * with the column. An axis of {@code m} real dims uses {@code θ_j = theta^(−2j/m)}.
 *
 * <p>Angles are computed in float64 ({@code cos(p·θ_j)}, {@code sin(p·θ_j)}) and rounded to
 * float32 only at the end, as the reference does its complex multiply in float64.
 *
 * <p><b>Extension beyond 1024 positions.</b> The official code precomputes a table of 1024
 * positions per axis and would fail after 1024 latent frames (~256 s). Here the angle is computed
 * directly from the absolute position, which is the same value the table holds for p &lt; 1024
 * and the natural continuation of it after that, so sessions of any length keep absolute
 * temporal positions (the sink frames keep theirs, docs/sampler.md#identity-sinks). Positions stay exact in float64
 * (p·θ for p up to 2^31 loses no meaningful precision in the angle's 53-bit mantissa).
 */
public final class Rope3d {
    private final int headDim;
    private final double[] thetaT, thetaH, thetaW;   // per-pair frequencies of each axis

    public Rope3d(int headDim, double theta) {
        this.headDim = headDim;
        int dh = headDim / 3, dt = headDim - 2 * dh;
        thetaT = freqs(dt, theta);
        thetaH = freqs(dh, theta);
        thetaW = freqs(dh, theta);
        if (2 * (thetaT.length + thetaH.length + thetaW.length) != headDim) {
            // spec README: head_dim 16 gives 3+2+2 pairs for 8 needed; the official code fails too.
            throw new CheckpointException("head_dim " + headDim + " cannot be split into RoPE axes "
                    + dt + "/" + dh + "/" + dh + " (" + (thetaT.length + thetaH.length + thetaW.length)
                    + " pairs for " + headDim / 2 + " needed)");
        }
    }

    /** {@code θ_j = theta^(−2j/m)} for j < m/2 (precompute_freqs_cis: {@code arange(0, m, 2)[: m//2] / m}). */
    private static double[] freqs(int m, double theta) {
        double[] f = new double[m / 2];
        for (int j = 0; j < f.length; j++) f[j] = 1.0 / Math.pow(theta, (2.0 * j) / m);
        return f;
    }

    public int headDim() {
        return headDim;
    }

    /**
     * cos and sin tables for the tokens of {@code frames} frames of an {@code h × w} token grid
     * starting at absolute frame {@code startFrame}; token order (frame, row, col). Each is
     * {@code [frames·h·w, headDim/2]}. Returned as {@code {cos, sin}}.
     */
    public float[][] tables(long startFrame, int frames, int h, int w) {
        int half = headDim / 2, n = frames * h * w;
        int nt = thetaT.length, nh = thetaH.length, nw = thetaW.length;
        // Each axis's angles depend on its own position only, so each (position, θ) pair is
        // computed once and the rows are assembled by copying: the same float64 values as
        // computing every row afresh, without 2·N·d/2 calls to cos and sin per DiT call (about
        // 4 ms of host time per full-size call, which a GPU spends idle).
        float[][] t = axis(thetaT, startFrame, frames), y = axis(thetaH, 0, h), x = axis(thetaW, 0, w);
        float[] cos = new float[n * half], sin = new float[n * half];
        int row = 0;
        for (int f = 0; f < frames; f++) {
            for (int r = 0; r < h; r++) {
                for (int c = 0; c < w; c++, row++) {
                    int j = row * half;
                    copy(t, f * nt, nt, cos, sin, j);
                    copy(y, r * nh, nh, cos, sin, j + nt);
                    copy(x, c * nw, nw, cos, sin, j + nt + nh);
                }
            }
        }
        return new float[][] {cos, sin};
    }

    /** {cos, sin} of {@code (start + i)·θ_j}, rounded to float32: [count][θ.length] flattened. */
    private static float[][] axis(double[] theta, long start, int count) {
        float[] cos = new float[count * theta.length], sin = new float[count * theta.length];
        for (int i = 0, k = 0; i < count; i++) {
            for (double th : theta) {
                double a = (start + i) * th;
                cos[k] = (float) Math.cos(a);
                sin[k] = (float) Math.sin(a);
                k++;
            }
        }
        return new float[][] {cos, sin};
    }

    private static void copy(float[][] axis, int from, int len, float[] cos, float[] sin, int to) {
        System.arraycopy(axis[0], from, cos, to, len);
        System.arraycopy(axis[1], from, sin, to, len);
    }
}
