package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.ValueLayout;
import livetalk.kernels.Backend;
import livetalk.kernels.Backends;
import livetalk.kernels.KernelException;
import org.junit.jupiter.api.Test;

/** What runs without a GPU: the error for a missing driver, auto's fallback, and argument marshalling. */
class CudaUnavailableTest {

    @Test
    void missingDriverIsOneClearLine() {
        String why = CudaBackend.unavailableReason();
        assumeTrue(why != null, "a CUDA device is present");
        KernelException e = assertThrows(KernelException.class, () -> Backends.create("cuda"));
        assertTrue(e.getMessage().startsWith("--device cuda: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        try (Backend b = Backends.create("auto")) {
            assertFalse(b.name().startsWith("cuda"), b.name());
        }
    }

    @Test
    void argumentsAreOneSlotEachAtTheirAddresses() {
        CudaContext.Args a = new CudaContext.Args();
        a.ptr(0x1234_5678_9abcL).i32(-7).f32(1.5f).i64(1L << 40);
        long base = a.pointers.getAtIndex(ValueLayout.ADDRESS, 0).address();
        for (int i = 0; i < 4; i++) assertEquals(base + 8L * i, a.pointers.getAtIndex(ValueLayout.ADDRESS, i).address());
        var v = a.pointers.getAtIndex(ValueLayout.ADDRESS, 0).reinterpret(32);
        assertEquals(0x1234_5678_9abcL, v.get(ValueLayout.JAVA_LONG, 0));
        assertEquals(-7, v.get(ValueLayout.JAVA_INT, 8));
        assertEquals(1.5f, v.get(ValueLayout.JAVA_FLOAT, 16));
        assertEquals(1L << 40, v.get(ValueLayout.JAVA_LONG, 24));
    }
}
