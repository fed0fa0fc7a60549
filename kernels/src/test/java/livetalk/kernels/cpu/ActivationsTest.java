package livetalk.kernels.cpu;

import livetalk.kernels.Buf;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/**
 * Activations against the scalar references, element by element: within 1e-6 of each value
 * (relative) plus a tiny absolute term. The kernels compute in double like the references, so the
 * only differences are double roundings, and, for GELU-tanh in the negative tail, the reference's
 * own cancellation in {@code 1 + tanh(u)}: an absolute error up to {@code |x|·2^-53}, which is
 * what the 1e-14 absolute term covers (|x| ≤ ~60 here). The kernel uses the cancellation-free
 * {@code x / (1 + exp(−2u))}.
 */
class ActivationsTest {
    @Test
    void geluTanhMatchesReference() {
        check(true);
    }

    @Test
    void geluErfMatchesReference() {
        check(false);
    }

    @Test
    void siluMatchesReference() {
        Props.forAll("silu", 30, 43, rnd -> {
            float[] x = values(rnd);
            float[] ref = new float[x.length];
            for (int i = 0; i < x.length; i++) ref[i] = ReferenceKernels.silu(x[i]);
            Buf xb = Bufs.view(rnd, x);
            Buf ob = rnd.nextBoolean() ? xb : Bufs.garbage(rnd, x.length);
            Bufs.BE.silu(xb, ob);
            Bufs.assertElementwise(ref, Bufs.read(ob), 1e-6, 1e-30, "silu");
        });
    }

    private static void check(boolean tanh) {
        Props.forAll("gelu tanh=" + tanh, 30, tanh ? 41 : 42, rnd -> {
            float[] x = values(rnd);
            float[] ref = new float[x.length];
            for (int i = 0; i < x.length; i++) ref[i] = tanh ? ReferenceKernels.geluTanh(x[i]) : ReferenceKernels.geluErf(x[i]);
            Buf xb = Bufs.view(rnd, x);
            Buf ob = rnd.nextBoolean() ? xb : Bufs.garbage(rnd, x.length);
            Bufs.BE.gelu(xb, ob, tanh);
            Bufs.assertElementwise(ref, Bufs.read(ob), 1e-6, tanh ? 1e-14 : 1e-30, "gelu tanh=" + tanh);
        });
    }

    /** Odd lengths (vector tails), values over several scales, large sizes now and then (parallel split). */
    private static float[] values(java.util.SplittableRandom rnd) {
        int n = rnd.nextInt(10) == 0 ? 70_000 + rnd.nextInt(100) : rnd.nextInt(300);
        float[] x = Props.uniform(rnd, n, (float) Math.exp(rnd.nextDouble() * 6 - 2));
        if (n > 3) {
            x[0] = 0f;
            x[1] = -0f;
            x[2] = 20f;
            x[3] = -20f;
        }
        return x;
    }
}
