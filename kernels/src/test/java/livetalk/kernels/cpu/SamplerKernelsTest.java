package livetalk.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.kernels.PatchGrid;
import livetalk.kernels.SamplerOpsCases;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/**
 * The CPU's sampler step ops against their definitions (the Javadoc of Backend.patchify and
 * unpatchify, evaluated in token order, the other way round from the kernels' loops), and the
 * float64 update against the sampler's scalar expression; these are the reference for the devices.
 */
class SamplerKernelsTest {
    private final CpuBackend cpu = new CpuBackend(1);

    @Test
    void patchifyPutsEverySourceValueWhereTheDefinitionSays() {
        Props.forAll("cpu patchify", 40, 801, rnd -> {
            PatchGrid g = SamplerOpsCases.randomGrid(rnd);
            int cx = 1 + rnd.nextInt(5), cy = 1 + rnd.nextInt(4), outCh = cx + cy, ph = g.ph(), pw = g.pw();
            int plane = (int) g.plane(), w = g.w(), gh = g.gh(), gw = g.gw();
            float[] x = Props.uniform(rnd, g.frames() * cx * plane, 3), y = Props.uniform(rnd, cy * g.frames() * plane, 3);
            float[] out = new float[(int) g.tokens() * outCh * ph * pw];
            java.util.Arrays.fill(out, Float.NaN);
            Buf ob = new CpuBuf(out);
            boolean both = rnd.nextBoolean();
            cpu.patchify(new CpuBuf(x), (long) cx * plane, plane, cx, ob, outCh, 0, g);
            if (both) cpu.patchify(new CpuBuf(y), plane, (long) g.frames() * plane, cy, ob, outCh, cx, g);
            for (int f = 0; f < g.frames(); f++) {
                for (int i = 0; i < gh; i++) {
                    for (int j = 0; j < gw; j++) {
                        int row = ((f * gh + i) * gw + j) * outCh * ph * pw;
                        for (int c = 0; c < outCh; c++) {
                            for (int a = 0; a < ph; a++) {
                                for (int b = 0; b < pw; b++) {
                                    int pixel = (i * ph + a) * w + j * pw + b;
                                    float got = out[row + (c * ph + a) * pw + b];
                                    if (c < cx) {
                                        assertEquals(x[(f * cx + c) * plane + pixel], got, "x value");
                                    } else if (both) {
                                        assertEquals(y[((c - cx) * g.frames() + f) * plane + pixel], got, "y value");
                                    } else {
                                        assertTrue(Float.isNaN(got), "a column outside the source's channels was written");
                                    }
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    @Test
    void unpatchifyReadsEveryValueWhereTheDefinitionSays() {
        Props.forAll("cpu unpatchify", 40, 802, rnd -> {
            PatchGrid g = SamplerOpsCases.randomGrid(rnd);
            int ch = 1 + rnd.nextInt(5), ph = g.ph(), pw = g.pw(), h = g.h(), w = g.w();
            float[] tokens = Props.uniform(rnd, (int) g.tokens() * ph * pw * ch, 3);
            float[] out = new float[g.frames() * ch * (int) g.plane()];
            cpu.unpatchify(new CpuBuf(tokens), ch, new CpuBuf(out), g);
            for (int f = 0; f < g.frames(); f++) {
                for (int c = 0; c < ch; c++) {
                    for (int yy = 0; yy < h; yy++) {
                        for (int xx = 0; xx < w; xx++) {
                            int token = (f * g.gh() + yy / ph) * g.gw() + xx / pw;
                            float want = tokens[token * ph * pw * ch + ((yy % ph) * pw + xx % pw) * ch + c];
                            assertEquals(want, out[((f * ch + c) * h + yy) * w + xx], "out[" + f + ", " + c + ", " + yy + ", " + xx + "]");
                        }
                    }
                }
            }
        });
    }

    @Test
    void subtractScaledIsTheSamplersFloat64Update() {
        Props.forAll("cpu subtractScaled", 20, 803, rnd -> {
            int n = 1 + rnd.nextInt(500);
            float[] x = Props.uniform(rnd, n, 3), v = Props.uniform(rnd, n, 3);
            double sigma = rnd.nextDouble();
            float[] out = new float[n];
            cpu.subtractScaled(new CpuBuf(x), sigma, new CpuBuf(v), new CpuBuf(out));
            for (int k = 0; k < n; k++) {
                // the sampler's expression, and the exact value a float64 evaluation cannot miss by more than half an ulp of the float
                assertEquals((float) ((double) x[k] - sigma * (double) v[k]), out[k]);
                double exact = new java.math.BigDecimal(x[k]).subtract(new java.math.BigDecimal(sigma).multiply(new java.math.BigDecimal(v[k]))).doubleValue();
                assertTrue(Math.abs(out[k] - exact) <= Math.ulp(out[k]) * 0.5000001 + Math.ulp(exact), "within half an ulp of the exact value");
            }
            cpu.subtractScaled(new CpuBuf(x), sigma, new CpuBuf(v), new CpuBuf(x));   // in place
            assertEquals(java.util.Arrays.toString(out), java.util.Arrays.toString(x));
        });
    }

    @Test
    void badShapesAreRefusedWithTheReason() {
        PatchGrid g = new PatchGrid(2, 4, 4, 2, 2);
        KernelException e = assertThrows(KernelException.class, () -> cpu.patchify(new CpuBuf(new float[31]), 16, 16, 1, new CpuBuf(new float[32]), 1, 0, g));
        assertTrue(e.getMessage().contains("source has 31 floats"), e.getMessage());
        e = assertThrows(KernelException.class, () -> cpu.patchify(new CpuBuf(new float[32]), 16, 16, 1, new CpuBuf(new float[32]), 1, 1, g));
        assertTrue(e.getMessage().contains("channels [1, 2) of 1"), e.getMessage());
        e = assertThrows(KernelException.class, () -> cpu.unpatchify(new CpuBuf(new float[32]), 1, new CpuBuf(new float[33]), g));
        assertTrue(e.getMessage().contains("expected 32 floats out"), e.getMessage());
        e = assertThrows(KernelException.class, () -> new PatchGrid(1, 5, 4, 2, 2));
        assertTrue(e.getMessage().contains("multiples of the patch"), e.getMessage());
    }
}
