package livetalk.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import livetalk.kernels.Backend;
import livetalk.kernels.Backends;
import livetalk.kernels.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

class OpenClBackendsTest extends OpenClTestBase {
    @Test
    void openClDeviceNameCreatesTheOpenClBackend() {
        assertTrue(Backends.openClAvailable());
        try (Backend b = Backends.create("opencl")) {
            assertInstanceOf(OpenClBackend.class, b);
            assertTrue(b.name().startsWith("opencl:"), b.name());
        }
    }

    @Test
    void autoPicksAnOpenClGpuOnlyWhenThereIsOne() {
        try (Backend b = Backends.create("auto")) {
            if (OpenClBackend.gpuPresent()) {
                assertInstanceOf(OpenClBackend.class, b);
            } else {
                assertInstanceOf(CpuBackend.class, b); // PoCL is a CPU device: auto stays on the CPU backend
            }
        }
    }

    @Test
    void kernelSourcesAreAllOnTheClassPath() {
        for (String s : ClProgram.SOURCES) assertTrue(ClProgram.resource(s).contains("__kernel") || s.equals("common.cl"), s);
        assertEquals("common.cl", ClProgram.SOURCES[0]);
    }
}
