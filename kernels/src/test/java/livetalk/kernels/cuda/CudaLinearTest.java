package livetalk.kernels.cuda;

import livetalk.kernels.Buf;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The tensor-core GEMM against the CPU on the same bf16-rounded operands: with exact products
 * and float32 accumulation the only difference left is the order of the sums, so the tolerance
 * is the float32 one (1e-5 of the largest output), not a bf16 one.
 */
class CudaLinearTest extends CudaTestBase {

    @Test
    void linearMatchesReferenceOnRaggedShapes() {
        DType[] dtypes = {DType.F32, DType.BF16, DType.F16};
        Props.forAll("cuda linear", 40, 101, rnd -> {
            // straddles the 128x128 tile, the 32-deep k step and the 8-element padding
            int rows = 1 + rnd.nextInt(rnd.nextBoolean() ? 9 : 300);
            int in = 1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 300);
            int out = 1 + rnd.nextInt(rnd.nextBoolean() ? 12 : 290);
            DType dt = dtypes[rnd.nextInt(3)];
            float[] wv = Props.uniform(rnd, out * in, 1);
            Tensor wt = Tensor.wrap(wv, out, in).to(dt);
            boolean hasBias = rnd.nextBoolean(), gelu = rnd.nextInt(4) == 0;
            Tensor bt = Tensor.wrap(Props.uniform(rnd, out, 1), out).to(rnd.nextBoolean() ? dt : DType.F32);
            float[] x = Props.uniform(rnd, rows * in, 2);
            // reference operands: exactly what the tensor cores multiply
            Tensor wRef = Tensor.wrap(bf16(wt.toFloatArray()), out, in);
            Buf yc = cpu.alloc((long) rows * out);
            cpu.linear(cpu.upload(bf16(x)), yc, rows, cpu.weight(wRef), hasBias ? cpu.weight(bt) : null);
            if (gelu) cpu.gelu(yc, yc, true);
            Pair xp = place(rnd, x), yp = place(rnd, new float[rows * out]);
            cuda.fill(yp.gpu(), Float.NaN);
            if (gelu) cuda.linearGelu(xp.gpu(), yp.gpu(), rows, cuda.weight(wt), hasBias ? cuda.weight(bt) : null);
            else cuda.linear(xp.gpu(), yp.gpu(), rows, cuda.weight(wt), hasBias ? cuda.weight(bt) : null);
            Props.assertClose(cpu.read(yc), cuda.read(yp.gpu()), 1e-5, "linear " + rows + "x" + in + "->" + out + " " + dt + (gelu ? " gelu" : ""));
        });
    }

    @Test
    void convShapedWeightIsFlattened() {
        Props.forAll("cuda linear conv weight", 4, 102, rnd -> {
            int out = 1 + rnd.nextInt(40), c = 1 + rnd.nextInt(5), rows = 1 + rnd.nextInt(60);
            Tensor wt = Tensor.wrap(Props.uniform(rnd, out * c * 4, 1), out, c, 1, 2, 2).to(DType.BF16);
            float[] x = Props.uniform(rnd, rows * c * 4, 1);
            Buf yc = cpu.alloc((long) rows * out), yg = cuda.alloc((long) rows * out);
            cpu.linear(cpu.upload(bf16(x)), yc, rows, cpu.weight(wt), null);
            cuda.linear(cuda.upload(x), yg, rows, cuda.weight(wt), null);
            Props.assertClose(cpu.read(yc), cuda.read(yg), 1e-5, "conv-shaped linear");
        });
    }

    @Test
    void ditShapedProductAcrossManyTiles() {
        Props.forAll("cuda linear large", 1, 103, rnd -> {
            int rows = 1024, in = 1536, out = 1536 + 64;
            float[] w = Props.normal(rnd, out * in);
            float[] x = Props.normal(rnd, rows * in);
            Buf yc = cpu.alloc((long) rows * out), yg = cuda.alloc((long) rows * out);
            cpu.linear(cpu.upload(bf16(x)), yc, rows, cpu.weight(Tensor.wrap(bf16(w), out, in)), null);
            cuda.fill(yg, Float.NaN);
            cuda.linear(cuda.upload(x), yg, rows, cuda.weight(Tensor.wrap(w, out, in)), null);
            Props.assertClose(cpu.read(yc), cuda.read(yg), 1e-5, "linear 1024x1536->1600");
        });
    }
}
