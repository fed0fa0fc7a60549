package livetalk.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.function.BiFunction;
import livetalk.tensor.Props;

/**
 * Random cases of the sampler's step ops ({@link Backend#patchify}, {@link Backend#unpatchify},
 * {@link Backend#subtractScaled}) run on the CPU and on another backend, compared bit for bit: they
 * move data and do one float64 update, so a device must give exactly the CPU's floats.
 */
public final class SamplerOpsCases {
    private SamplerOpsCases() {
    }

    /**
     * {@code place(rnd, data)} returns the same values as two views, {CPU buffer, other backend's
     * buffer}, e.g. at a random offset inside poisoned buffers.
     */
    public static void compare(String name, int trials, long seed, Backend cpu, Backend other, BiFunction<SplittableRandom, float[], Buf[]> place) {
        Props.forAll(name, trials, seed, rnd -> {
            PatchGrid g = randomGrid(rnd);
            int cx = 1 + rnd.nextInt(5), cy = 1 + rnd.nextInt(4), outCh = cx + cy;
            long plane = g.plane();
            Buf[] x = place.apply(rnd, Props.uniform(rnd, (int) (g.frames() * cx * plane), 3));
            Buf[] y = place.apply(rnd, Props.uniform(rnd, (int) (cy * g.frames() * plane), 3));
            // junk where nothing is written must stay junk on both: half the cases patchify x only
            Buf[] out = place.apply(rnd, Props.uniform(rnd, (int) (g.tokens() * outCh * g.ph() * g.pw()), 1));
            boolean both = rnd.nextBoolean();
            String what = name + " " + g + " x " + cx + " y " + cy;
            for (int k = 0; k < 2; k++) {
                Backend be = k == 0 ? cpu : other;
                be.patchify(x[k], cx * plane, plane, cx, out[k], outCh, 0, g);
                if (both) be.patchify(y[k], plane, g.frames() * plane, cy, out[k], outCh, cx, g);
            }
            assertBits(cpu.read(out[0]), other.read(out[1]), "patchify " + what);

            Buf[] tokens = place.apply(rnd, Props.uniform(rnd, (int) (g.tokens() * g.ph() * g.pw() * cx), 3));
            Buf[] video = place.apply(rnd, new float[(int) (g.frames() * cx * plane)]);
            cpu.unpatchify(tokens[0], cx, video[0], g);
            other.unpatchify(tokens[1], cx, video[1], g);
            assertBits(cpu.read(video[0]), other.read(video[1]), "unpatchify " + what);

            // x0 = x − σ·v: σ a float64 of the schedule's kind, in place half the time
            double sigma = rnd.nextDouble();
            Buf[] v = place.apply(rnd, Props.uniform(rnd, (int) (g.frames() * cx * plane), 2));
            boolean inPlace = rnd.nextBoolean();
            Buf[] x0 = inPlace ? x : place.apply(rnd, new float[(int) (g.frames() * cx * plane)]);
            cpu.subtractScaled(x[0], sigma, v[0], x0[0]);
            other.subtractScaled(x[1], sigma, v[1], x0[1]);
            assertBits(cpu.read(x0[0]), other.read(x0[1]), "subtractScaled σ " + sigma + (inPlace ? " in place " : " ") + what);
        });
    }

    /** 1–3 frames of a 1–5 × 1–5 grid of patches 1–3 high and wide, or the DiT's 2×2 half the time. */
    public static PatchGrid randomGrid(SplittableRandom rnd) {
        boolean dit = rnd.nextBoolean();
        int ph = dit ? 2 : 1 + rnd.nextInt(3), pw = dit ? 2 : 1 + rnd.nextInt(3);
        return new PatchGrid(1 + rnd.nextInt(3), ph * (1 + rnd.nextInt(5)), pw * (1 + rnd.nextInt(5)), ph, pw);
    }

    private static void assertBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": sizes");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", the CPU's " + expected[i]);
            }
        }
    }
}
