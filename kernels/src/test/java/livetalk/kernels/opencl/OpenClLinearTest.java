package livetalk.kernels.opencl;

import livetalk.kernels.Buf;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

class OpenClLinearTest extends OpenClTestBase {

    @Test
    void linearMatchesReferenceForEveryWeightDtype() {
        DType[] dtypes = {DType.F32, DType.BF16, DType.F16};
        Props.forAll("opencl linear", 30, 11, rnd -> {
            // Sizes straddle the 64x64 tile and the 16-wide k step, including 1-row and odd shapes.
            int rows = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 150);
            int in = 1 + rnd.nextInt(rnd.nextBoolean() ? 20 : 200);
            int out = 1 + rnd.nextInt(rnd.nextBoolean() ? 10 : 140);
            DType dt = dtypes[rnd.nextInt(3)];
            Tensor wt = Tensor.wrap(Props.uniform(rnd, out * in, 1), out, in).to(dt);
            boolean hasBias = rnd.nextBoolean();
            Tensor bt = Tensor.wrap(Props.uniform(rnd, out, 1), out).to(rnd.nextBoolean() ? dt : DType.F32);
            OpenClFixture.Pair x = OpenClFixture.place(cpu, cl, rnd, Props.uniform(rnd, rows * in, 2));
            OpenClFixture.Pair y = OpenClFixture.place(cpu, cl, rnd, new float[rows * out]);
            cpu.linear(x.cpu(), y.cpu(), rows, cpu.weight(wt), hasBias ? cpu.weight(bt) : null);
            boolean large = rnd.nextBoolean();
            cl.forceLargeTiles = large; // both tile variants, whatever the device would pick
            try {
                cl.linear(x.cl(), y.cl(), rows, cl.weight(wt), hasBias ? cl.weight(bt) : null);
            } finally {
                cl.forceLargeTiles = null;
            }
            Props.assertClose(cpu.read(y.cpu()), cl.read(y.cl()), 1e-5, "linear " + rows + "x" + in + "->" + out + " " + dt + (large ? " t128" : " t64"));
        });
    }

    @Test
    void convWeightWithTrailingDimsIsFlattened() {
        Props.forAll("opencl linear conv weight", 3, 12, rnd -> {
            int out = 1 + rnd.nextInt(20), c = 1 + rnd.nextInt(4), rows = 1 + rnd.nextInt(30);
            Tensor wt = Tensor.wrap(Props.uniform(rnd, out * c * 8, 1), out, c, 2, 2, 2).to(DType.BF16);
            float[] x = Props.uniform(rnd, rows * c * 8, 1);
            Buf yc = cpu.alloc((long) rows * out), yl = cl.alloc((long) rows * out);
            cpu.linear(cpu.upload(x), yc, rows, cpu.weight(wt), null);
            cl.linear(cl.upload(x), yl, rows, cl.weight(wt), null);
            Props.assertClose(cpu.read(yc), cl.read(yl), 1e-5, "conv-shaped linear");
        });
    }

    @Test
    void largerMatrixAcrossManyTiles() {
        Props.forAll("opencl linear large", 1, 13, rnd -> {
            int rows = 200, in = 384, out = 260;
            Tensor wt = Tensor.wrap(Props.normal(rnd, out * in), out, in).to(DType.BF16);
            Weight wc = cpu.weight(wt), wl = cl.weight(wt);
            float[] x = Props.normal(rnd, rows * in);
            Buf yc = cpu.alloc((long) rows * out), yl = cl.alloc((long) rows * out);
            cpu.linear(cpu.upload(x), yc, rows, wc, null);
            for (boolean large : new boolean[]{false, true}) {
                cl.forceLargeTiles = large;
                try {
                    cl.fill(yl, Float.NaN);
                    cl.linear(cl.upload(x), yl, rows, wl, null);
                } finally {
                    cl.forceLargeTiles = null;
                }
                Props.assertClose(cpu.read(yc), cl.read(yl), 1e-5, "linear 200x384->260" + (large ? " t128" : " t64"));
            }
        });
    }
}
