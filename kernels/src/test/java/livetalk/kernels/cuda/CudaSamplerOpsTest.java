package livetalk.kernels.cuda;

import livetalk.kernels.Buf;
import livetalk.kernels.SamplerOpsCases;
import org.junit.jupiter.api.Test;

/**
 * The sampler's step ops (sampler.cu) against the CPU's, bit for bit, on views inside poisoned
 * buffers. Without a GPU their index math is checked by sampler_layout_test.cpp and their argument
 * lists by KernelArgsTest.
 */
class CudaSamplerOpsTest extends CudaTestBase {
    @Test
    void sameBitsAsTheCpu() {
        SamplerOpsCases.compare("cuda sampler ops", 30, 821, cpu, cuda, (rnd, data) -> {
            Pair p = place(rnd, data);
            return new Buf[] {p.cpu(), p.gpu()};
        });
    }
}
