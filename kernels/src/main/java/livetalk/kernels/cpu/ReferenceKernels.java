package livetalk.kernels.cpu;

/**
 * Scalar reference kernels: the plainest correct code for each operation, one thread, double
 * accumulators where a sum is long. The fast kernels are tested against these; nothing else
 * should call them on a hot path.
 *
 * <p>Arrays are passed with a start offset; sizes come from the explicit dimensions.
 */
public final class ReferenceKernels {
    private ReferenceKernels() {
    }

    /** {@code out[r,o] = Σ_k x[r,k]·w(o·in + k) + bias(o)}. */
    public static void linear(float[] x, int xOff, float[] out, int outOff, int rows, int in, int outDim, CpuWeight w, CpuWeight bias) {
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < outDim; o++) {
                double acc = bias == null ? 0 : bias.at(o);
                long wRow = (long) o * in;
                for (int k = 0; k < in; k++) {
                    acc += (double) x[xOff + r * in + k] * w.at(wRow + k);
                }
                out[outOff + r * outDim + o] = (float) acc;
            }
        }
    }

    /** Softmax attention written out: logits, max, exp, sum, weighted values. */
    public static void attention(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] out, int outOff,
                                 int nq, int nk, int heads, int headDim, float scale, float[] bias, int biasOff) {
        int w = heads * headDim;
        double[] logits = new double[nk];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < nq; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < nk; j++) {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += (double) q[qOff + i * w + h * headDim + d] * k[kOff + j * w + h * headDim + d];
                    }
                    double l = dot * scale;
                    if (bias != null) l += bias[biasOff + (h * nq + i) * nk + j];
                    logits[j] = l;
                    max = Math.max(max, l);
                }
                double sum = 0;
                for (int j = 0; j < nk; j++) {
                    logits[j] = max == Double.NEGATIVE_INFINITY ? 0 : Math.exp(logits[j] - max);
                    sum += logits[j];
                }
                for (int d = 0; d < headDim; d++) {
                    double acc = 0;
                    for (int j = 0; j < nk; j++) {
                        acc += logits[j] * v[vOff + j * w + h * headDim + d];
                    }
                    out[outOff + i * w + h * headDim + d] = (float) (sum == 0 ? 0 : acc / sum);
                }
            }
        }
    }

    public static void layerNorm(float[] x, int xOff, float[] out, int outOff, int rows, int dim, float eps, CpuWeight gamma, CpuWeight beta) {
        for (int r = 0; r < rows; r++) {
            int b = r * dim;
            double mean = 0;
            for (int i = 0; i < dim; i++) mean += x[xOff + b + i];
            mean /= dim;
            double var = 0;
            for (int i = 0; i < dim; i++) {
                double d = x[xOff + b + i] - mean;
                var += d * d;
            }
            var /= dim;
            double inv = 1.0 / Math.sqrt(var + eps);
            for (int i = 0; i < dim; i++) {
                double y = (x[xOff + b + i] - mean) * inv;
                if (gamma != null) y *= gamma.at(i);
                if (beta != null) y += beta.at(i);
                out[outOff + b + i] = (float) y;
            }
        }
    }

    public static void rmsNorm(float[] x, int xOff, float[] out, int outOff, int rows, int dim, float eps, CpuWeight gamma) {
        for (int r = 0; r < rows; r++) {
            int b = r * dim;
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) x[xOff + b + i] * x[xOff + b + i];
            double inv = 1.0 / Math.sqrt(ss / dim + eps);
            for (int i = 0; i < dim; i++) {
                double y = x[xOff + b + i] * inv;
                if (gamma != null) y *= gamma.at(i);
                out[outOff + b + i] = (float) y;
            }
        }
    }

    public static float geluTanh(float x) {
        double c = Math.sqrt(2 / Math.PI);
        return (float) (0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x * x * x))));
    }

    public static float geluErf(float x) {
        return (float) (0.5 * x * (1 + erf(x / Math.sqrt(2))));
    }

    public static float silu(float x) {
        return (float) (x / (1 + Math.exp(-x)));
    }

    /** erf with absolute error below 1.2e-7 (Numerical Recipes' erfc Chebyshev fit), enough for float results. */
    public static double erf(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - r : r - 1;
    }

    public static void rope(float[] x, int xOff, int rows, int heads, int headDim, float[] cos, int cosOff, float[] sin, int sinOff) {
        int half = headDim / 2;
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                int base = xOff + r * heads * headDim + h * headDim;
                for (int j = 0; j < half; j++) {
                    double c = cos[cosOff + r * half + j], s = sin[sinOff + r * half + j];
                    double x0 = x[base + 2 * j], x1 = x[base + 2 * j + 1];
                    x[base + 2 * j] = (float) (x0 * c - x1 * s);
                    x[base + 2 * j + 1] = (float) (x0 * s + x1 * c);
                }
            }
        }
    }
}
