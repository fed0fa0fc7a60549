package livetalk.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackendsTest {
    @Test
    void openClGivesABackendOrAClearError() {
        if (Backends.openClAvailable()) {
            try (Backend b = Backends.create("opencl")) {
                assertTrue(b.name().startsWith("opencl:"), b.name());
            }
        } else {
            KernelException e = assertThrows(KernelException.class, () -> Backends.create("opencl"));
            assertTrue(e.getMessage().startsWith("--device opencl: "), e.getMessage());
        }
    }

    @Test
    void cpuAndUnknownNames() {
        try (Backend b = Backends.create("cpu")) {
            assertEquals("cpu", b.name());
        }
        // "cuda" is a device now (main's CUDA backend); an unknown name must still be refused, naming the known ones.
        KernelException e = assertThrows(KernelException.class, () -> Backends.create("tpu"));
        assertTrue(e.getMessage().contains("unknown device 'tpu'"), e.getMessage());
        assertTrue(e.getMessage().contains(Backends.NAMES), e.getMessage());
    }
}
