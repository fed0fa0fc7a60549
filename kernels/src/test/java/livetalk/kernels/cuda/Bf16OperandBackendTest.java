package livetalk.kernels.cuda;

import livetalk.kernels.Buf;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The emulation rounds exactly the operands the CUDA kernels round, and nothing else. */
class Bf16OperandBackendTest {
    private final CpuBackend cpu = new CpuBackend();
    private final Bf16OperandBackend emu = new Bf16OperandBackend(new CpuBackend());

    @Test
    void linearSeesRoundedInputAndWeightButExactBias() {
        Props.forAll("bf16 emulation linear", 5, 601, rnd -> {
            int rows = 1 + rnd.nextInt(20), in = 1 + rnd.nextInt(40), out = 1 + rnd.nextInt(30);
            float[] x = Props.uniform(rnd, rows * in, 2), w = Props.uniform(rnd, out * in, 1), b = Props.uniform(rnd, out, 1);
            Buf ye = emu.alloc((long) rows * out), yc = cpu.alloc((long) rows * out);
            emu.linear(emu.upload(x), ye, rows, emu.weight(Tensor.wrap(w, out, in)), emu.weight(Tensor.wrap(b, out)));
            cpu.linear(cpu.upload(CudaTestBase.bf16(x)), yc, rows, cpu.weight(Tensor.wrap(CudaTestBase.bf16(w), out, in)),
                    cpu.weight(Tensor.wrap(b, out)));
            Props.assertClose(cpu.read(yc), emu.read(ye), 0, "emulated linear");
        });
    }

    @Test
    void attentionRoundsOnlyOnTheTensorCorePaths() {
        Props.forAll("bf16 emulation attention", 4, 602, rnd -> {
            int nq = 1 + rnd.nextInt(10), nk = 1 + rnd.nextInt(20), hd = rnd.nextBoolean() ? 64 : 6;   // 6: not a multiple of 8, so float32
            float[] q = Props.normal(rnd, nq * hd), k = Props.normal(rnd, nk * hd), v = Props.normal(rnd, nk * hd);
            boolean flash = hd % 8 == 0;
            Buf oe = emu.alloc((long) nq * hd), oc = cpu.alloc((long) nq * hd);
            emu.attention(emu.upload(q), emu.upload(k), emu.upload(v), oe, nq, nk, 1, hd, 0.125f, null);
            cpu.attention(cpu.upload(flash ? CudaTestBase.bf16(q) : q), cpu.upload(flash ? CudaTestBase.bf16(k) : k),
                    cpu.upload(flash ? CudaTestBase.bf16(v) : v), oc, nq, nk, 1, hd, 0.125f, null);
            Props.assertClose(cpu.read(oc), emu.read(oe), 0, "emulated attention hd=" + hd);
        });
    }
}
