package livetalk.kernels.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary embedding on interleaved pairs, in place, parallel over rows. Each pair is rotated in
 * double (as the reference does) so that {@code x0·c − x1·s} keeps its precision when the two
 * products nearly cancel.
 *
 * <p>Vectorised over the pairs of a head: per row, cos and sin are expanded once to the head's
 * width ({@code ce = [c0, c0, c1, c1, …]}, {@code se = [−s0, s0, −s1, s1, …]}, shared by all heads),
 * and then {@code x' = x·ce + swap(x)·se} with {@code swap} exchanging the two lanes of each pair.
 * A float times a float is exact in double, so the one rounding of the sum (then to float) is the
 * scalar reference's, and the results are bit for bit those of {@link ReferenceKernels#rope}.
 */
final class Rope {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int DL = D.length();
    /** Floats that fill one double vector when widened. */
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(DL * 32));
    private static final VectorShuffle<Double> SWAP = VectorShuffle.fromOp(D, i -> i ^ 1);

    private Rope() {
    }

    static void rope(float[] x, int xOff, int rows, int heads, int headDim, float[] cos, int cOff, float[] sin, int sOff) {
        int half = headDim / 2;
        Parallel.forRange(rows, Elementwise.rowsPerTask(heads * headDim), (r0, r1) -> {
            double[] ce = new double[headDim], se = new double[headDim];
            int vecEnd = headDim / DL * DL;               // DL is even: vector chunks hold whole pairs
            for (int r = r0; r < r1; r++) {
                int cr = cOff + r * half, sr = sOff + r * half;
                for (int j = 0; j < half; j++) {
                    double c = cos[cr + j], s = sin[sr + j];
                    ce[2 * j] = c;
                    ce[2 * j + 1] = c;
                    se[2 * j] = -s;
                    se[2 * j + 1] = s;
                }
                for (int h = 0; h < heads; h++) {
                    int base = xOff + (r * heads + h) * headDim;
                    for (int i = 0; i < vecEnd; i += DL) {
                        DoubleVector xv = (DoubleVector) FloatVector.fromArray(FH, x, base + i).convertShape(VectorOperators.F2D, D, 0);
                        DoubleVector y = xv.mul(DoubleVector.fromArray(D, ce, i)).add(xv.rearrange(SWAP).mul(DoubleVector.fromArray(D, se, i)));
                        ((FloatVector) y.convertShape(VectorOperators.D2F, FH, 0)).intoArray(x, base + i);
                    }
                    for (int j = vecEnd / 2; j < half; j++) {
                        double c = ce[2 * j], s = se[2 * j + 1];
                        double x0 = x[base + 2 * j], x1 = x[base + 2 * j + 1];
                        x[base + 2 * j] = (float) (x0 * c - x1 * s);
                        x[base + 2 * j + 1] = (float) (x0 * s + x1 * c);
                    }
                }
            }
        });
    }
}
