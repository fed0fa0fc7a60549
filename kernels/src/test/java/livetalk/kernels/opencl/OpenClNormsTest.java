package livetalk.kernels.opencl;

import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

class OpenClNormsTest extends OpenClTestBase {
    static final DType[] DTYPES = {DType.F32, DType.BF16, DType.F16};

    @Test
    void layerNormMatchesReference() {
        Props.forAll("opencl layerNorm", 16, 31, rnd -> {
            int rows = 1 + rnd.nextInt(20), dim = 1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 1600);
            float eps = rnd.nextBoolean() ? 1e-6f : 1e-5f;
            DType dt = DTYPES[rnd.nextInt(3)];
            Tensor g = Tensor.wrap(Props.uniform(rnd, dim, 2), dim).to(dt), b = Tensor.wrap(Props.uniform(rnd, dim, 1), dim).to(dt);
            boolean hasG = rnd.nextBoolean(), hasB = rnd.nextBoolean(), inPlace = rnd.nextBoolean();
            // An offset mean checks that the variance is computed around the mean (two passes).
            float[] data = Props.normal(rnd, rows * dim);
            for (int i = 0; i < data.length; i++) data[i] = data[i] * 3 + 50;
            OpenClFixture.Pair x = OpenClFixture.place(cpu, cl, rnd, data);
            OpenClFixture.Pair y = inPlace ? x : OpenClFixture.place(cpu, cl, rnd, new float[rows * dim]);
            cpu.layerNorm(x.cpu(), y.cpu(), rows, dim, eps, hasG ? cpu.weight(g) : null, hasB ? cpu.weight(b) : null);
            cl.layerNorm(x.cl(), y.cl(), rows, dim, eps, hasG ? cl.weight(g) : null, hasB ? cl.weight(b) : null);
            Props.assertClose(cpu.read(y.cpu()), cl.read(y.cl()), 1e-5, "layerNorm " + rows + "x" + dim);
        });
    }

    @Test
    void rmsNormMatchesReference() {
        Props.forAll("opencl rmsNorm", 16, 32, rnd -> {
            int rows = 1 + rnd.nextInt(20), dim = 1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 1600);
            DType dt = DTYPES[rnd.nextInt(3)];
            Tensor g = Tensor.wrap(Props.uniform(rnd, dim, 2), dim).to(dt);
            boolean hasG = rnd.nextBoolean(), inPlace = rnd.nextBoolean();
            OpenClFixture.Pair x = OpenClFixture.place(cpu, cl, rnd, Props.normal(rnd, rows * dim));
            OpenClFixture.Pair y = inPlace ? x : OpenClFixture.place(cpu, cl, rnd, new float[rows * dim]);
            cpu.rmsNorm(x.cpu(), y.cpu(), rows, dim, 1e-6f, hasG ? cpu.weight(g) : null);
            cl.rmsNorm(x.cl(), y.cl(), rows, dim, 1e-6f, hasG ? cl.weight(g) : null);
            Props.assertClose(cpu.read(y.cpu()), cl.read(y.cl()), 1e-5, "rmsNorm " + rows + "x" + dim);
        });
    }
}
