package livetalk.kernels.opencl;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import livetalk.kernels.Backends;
import livetalk.kernels.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the OpenCL tests: one OpenCL backend per test class, opened before the first test, and
 * the CPU backend as the reference. Where no OpenCL platform exists, every test is reported as
 * skipped with the reason (the assumption sits in {@code @BeforeEach} so that Surefire counts the
 * skips; in {@code @BeforeAll} it would report 0 tests).
 */
abstract class OpenClTestBase {
    static OpenClBackend cl;
    static final CpuBackend cpu = new CpuBackend();

    @BeforeEach
    void requireOpenCl() {
        String why = Backends.openClUnavailableReason();
        assumeTrue(why == null, () -> "no OpenCL platform: " + why);
        if (cl == null) cl = new OpenClBackend();
    }

    @AfterAll
    static void closeOpenCl() {
        if (cl != null) cl.close();
        cl = null;
    }
}
