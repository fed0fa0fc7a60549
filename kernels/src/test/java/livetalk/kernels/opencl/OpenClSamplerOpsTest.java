package livetalk.kernels.opencl;

import livetalk.kernels.Buf;
import livetalk.kernels.SamplerOpsCases;
import org.junit.jupiter.api.Test;

/** The sampler's step ops (sampler.cl) against the CPU's, bit for bit, on views inside poisoned buffers. */
class OpenClSamplerOpsTest extends OpenClTestBase {
    @Test
    void sameBitsAsTheCpu() {
        SamplerOpsCases.compare("opencl sampler ops", 30, 811, cpu, cl, (rnd, data) -> {
            OpenClFixture.Pair p = OpenClFixture.place(cpu, cl, rnd, data);
            return new Buf[] {p.cpu(), p.cl()};
        });
    }

    /** A device without cl_khr_fp64 makes the float64 update on the host: the same bits. */
    @Test
    void withoutFloat64TheHostMakesTheUpdate() {
        boolean had = cl.deviceFloat64;
        cl.deviceFloat64 = false;
        try {
            SamplerOpsCases.compare("opencl sampler ops, no fp64", 10, 812, cpu, cl, (rnd, data) -> {
                OpenClFixture.Pair p = OpenClFixture.place(cpu, cl, rnd, data);
                return new Buf[] {p.cpu(), p.cl()};
            });
        } finally {
            cl.deviceFloat64 = had;
        }
    }
}
