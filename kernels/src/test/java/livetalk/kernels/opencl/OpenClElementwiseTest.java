package livetalk.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

class OpenClElementwiseTest extends OpenClTestBase {

    interface Op {
        void apply(livetalk.kernels.Backend b, Buf[] in, Buf out, int rows, int dim);
    }

    /** Runs op on both backends over random [rows, dim] inputs (vectors of dim where asked) and compares. */
    private static void check(String name, int trials, long seed, boolean[] vectorInputs, Op op) {
        Props.forAll(name, trials, seed, rnd -> {
            int rows = 1 + rnd.nextInt(30), dim = 1 + rnd.nextInt(300);
            boolean inPlace = rnd.nextBoolean();
            OpenClFixture.Pair[] in = new OpenClFixture.Pair[vectorInputs.length];
            for (int i = 0; i < in.length; i++) {
                in[i] = OpenClFixture.place(cpu, cl, rnd, Props.uniform(rnd, vectorInputs[i] ? dim : rows * dim, 4));
            }
            OpenClFixture.Pair out = inPlace ? in[0] : OpenClFixture.place(cpu, cl, rnd, new float[rows * dim]);
            Buf[] ic = new Buf[in.length], il = new Buf[in.length];
            for (int i = 0; i < in.length; i++) {
                ic[i] = in[i].cpu();
                il[i] = in[i].cl();
            }
            op.apply(cpu, ic, out.cpu(), rows, dim);
            op.apply(cl, il, out.cl(), rows, dim);
            Props.assertClose(cpu.read(out.cpu()), cl.read(out.cl()), 2e-6, name + " " + rows + "x" + dim + (inPlace ? " in place" : ""));
        });
    }

    private static final boolean[] ONE = {false}, TWO = {false, false}, ROW = {false, true}, ROW2 = {false, true, true};

    @Test
    void activations() {
        check("opencl gelu tanh", 6, 41, ONE, (b, in, out, r, d) -> b.gelu(in[0], out, true));
        check("opencl gelu erf", 6, 42, ONE, (b, in, out, r, d) -> b.gelu(in[0], out, false));
        check("opencl silu", 6, 43, ONE, (b, in, out, r, d) -> b.silu(in[0], out));
    }

    @Test
    void binaryOps() {
        check("opencl add", 6, 44, TWO, (b, in, out, r, d) -> b.add(in[0], in[1], out));
        check("opencl mul", 6, 45, TWO, (b, in, out, r, d) -> b.mul(in[0], in[1], out));
        check("opencl axpby", 6, 46, TWO, (b, in, out, r, d) -> b.axpby(0.7f, in[0], -1.3f, in[1], out));
    }

    @Test
    void rowBroadcastOps() {
        check("opencl addRow", 6, 47, ROW, (b, in, out, r, d) -> b.addRow(in[0], in[1], out, r, d));
        check("opencl modulate", 6, 48, ROW2, (b, in, out, r, d) -> b.modulate(in[0], in[1], in[2], out, r, d));
        // gatedAdd works in place on x; the out buffer of the harness is unused, so copy x into it first.
        check("opencl gatedAdd", 6, 49, new boolean[]{false, false, true}, (b, in, out, r, d) -> {
            if (out != in[0]) b.copy(in[0], out);
            b.gatedAdd(out, in[1], in[2], r, d);
        });
    }

    @Test
    void toBf16IsBitExact() {
        // Ties to even, the largest finite values, infinities, NaNs, signed zero, subnormals; then random values.
        float[] special = {1.00390625f, 1.01171875f, -1.00390625f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7F800001), Float.intBitsToFloat(0xFFC12345), 0f, -0f,
                Float.MIN_VALUE, Float.intBitsToFloat(0x00018000), Float.intBitsToFloat(0x807FFFFF), 3.4e38f, 1e-40f};
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(52);
        for (float[] x : new float[][] {special, Props.uniform(rnd, 1000, 1000f)}) {
            Buf bc = cpu.alloc(x.length + 3, DType.BF16).view(3, x.length), bl = cl.alloc(x.length + 5, DType.BF16).view(5, x.length);
            cpu.toBf16(cpu.upload(x), bc);
            cl.toBf16(cl.upload(x), bl);
            float[] c = cpu.read(bc), l = cl.read(bl);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToRawIntBits(c[i]), Float.floatToRawIntBits(l[i]), "toBf16 of bits " + Integer.toHexString(Float.floatToRawIntBits(x[i])));
            }
            Buf copy = cl.alloc(x.length, DType.BF16);
            cl.copy(bl, copy);
            assertArrayEquals(l, cl.read(copy));
        }
    }

    @Test
    void ropeMatchesReference() {
        Props.forAll("opencl rope", 8, 50, rnd -> {
            int rows = 1 + rnd.nextInt(30), heads = 1 + rnd.nextInt(4), hd = 2 * (1 + rnd.nextInt(40));
            OpenClFixture.Pair x = OpenClFixture.place(cpu, cl, rnd, Props.normal(rnd, rows * heads * hd));
            float[] ang = Props.uniform(rnd, rows * hd / 2, 3);
            float[] c = new float[ang.length], s = new float[ang.length];
            for (int i = 0; i < ang.length; i++) {
                c[i] = (float) Math.cos(ang[i]);
                s[i] = (float) Math.sin(ang[i]);
            }
            OpenClFixture.Pair cp = OpenClFixture.place(cpu, cl, rnd, c), sp = OpenClFixture.place(cpu, cl, rnd, s);
            cpu.rope(x.cpu(), rows, heads, hd, cp.cpu(), sp.cpu());
            cl.rope(x.cl(), rows, heads, hd, cp.cl(), sp.cl());
            Props.assertClose(cpu.read(x.cpu()), cl.read(x.cl()), 2e-6, "rope " + rows + "x" + heads + "x" + hd);
        });
    }

    @Test
    void memoryOpsOnViews() {
        Props.forAll("opencl memory ops", 10, 51, rnd -> {
            int n = 1 + rnd.nextInt(500);
            float[] data = Props.normal(rnd, n);
            Buf parent = cl.alloc(3L * n);
            for (float v : cl.read(parent)) assertEquals(0f, v); // alloc is zero-filled
            Buf a = parent.view(0, n), b = parent.view(n, n), c = parent.view(2L * n, n);
            cl.write(b, data);
            assertArrayEquals(data, cl.read(b));
            cl.copy(b, c);
            cl.fill(b, 2.5f);
            assertArrayEquals(data, cl.read(c));
            float[] all = cl.read(parent);
            for (int i = 0; i < n; i++) {
                assertEquals(0f, all[i]);
                assertEquals(2.5f, all[n + i]);
            }
            assertArrayEquals(data, cl.read(cl.upload(data)));
            // Overlapping copy inside one allocation behaves like System.arraycopy.
            int shift = 1 + rnd.nextInt(n);
            float[] expect = cl.read(parent);
            System.arraycopy(expect, n, expect, n + shift, n);
            cl.copy(parent.view(n, n), parent.view(n + shift, n));
            assertArrayEquals(expect, cl.read(parent));
        });
    }

    @Test
    void badArgumentsAreRejected() {
        Buf a = cl.alloc(10), b = cl.alloc(11);
        KernelException e = assertThrows(KernelException.class, () -> cl.add(a, b, a));
        assertTrue(e.getMessage().contains("expected 10 floats, found 11"), e.getMessage());
        assertThrows(KernelException.class, () -> cl.add(cpu.alloc(10), a, a));
        assertThrows(KernelException.class, () -> a.view(5, 6));
        assertTrue(cl.name().startsWith("opencl:"), cl.name());
    }
}
