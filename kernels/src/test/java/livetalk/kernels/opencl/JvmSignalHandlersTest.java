package livetalk.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The save-and-restore of signal dispositions, on signals nobody in the JVM uses: SIGURG (23) and
 * SIGWINCH (28), both ignored by default. A disposition is changed to SIG_IGN by hand, as a driver
 * would change SIGSEGV's, and must come back byte for byte. No OpenCL needed; Linux only.
 */
class JvmSignalHandlersTest {
    private static final int SIGURG = 23, SIGWINCH = 28;

    @BeforeEach
    void linuxOnly() {
        assumeTrue(JvmSignalHandlers.supported(), "sigaction is read and written only on Linux (x86-64, aarch64)");
    }

    /** A disposition that ignores the signal: handler SIG_IGN (1), no flags, empty mask. */
    private static byte[] ignore(int signal) {
        byte[] b = JvmSignalHandlers.read(signal).clone();
        Arrays.fill(b, (byte) 0);
        b[0] = 1;
        return b;
    }

    @Test
    void aChangedDispositionIsWrittenBackAndNamed() {
        byte[] before = JvmSignalHandlers.read(SIGWINCH);
        JvmSignalHandlers saved = new JvmSignalHandlers(new int[]{SIGURG, SIGWINCH});
        JvmSignalHandlers.write(SIGWINCH, ignore(SIGWINCH));
        assertFalse(Arrays.equals(before, JvmSignalHandlers.read(SIGWINCH)), "the test's change did not take");
        assertEquals(List.of(SIGWINCH), saved.restore());
        assertArrayEquals(before, JvmSignalHandlers.read(SIGWINCH));
        assertEquals(List.of(), saved.restore(), "a second restore finds nothing changed");
    }

    @Test
    void unchangedDispositionsAreLeftAlone() {
        JvmSignalHandlers saved = new JvmSignalHandlers(new int[]{SIGURG, SIGWINCH});
        assertEquals(List.of(), saved.restore());
        assertEquals(List.of(), saved.restoreIfSegvChanged());
    }

    /** Without SIGSEGV among the saved signals, the quick check cannot use it as the sign and checks them all. */
    @Test
    void theQuickCheckWithoutSigsegvChecksEverySignal() {
        byte[] before = JvmSignalHandlers.read(SIGURG);
        JvmSignalHandlers saved = new JvmSignalHandlers(new int[]{SIGURG});
        JvmSignalHandlers.write(SIGURG, ignore(SIGURG));
        assertEquals(List.of(SIGURG), saved.restoreIfSegvChanged());
        assertArrayEquals(before, JvmSignalHandlers.read(SIGURG));
    }

    /** The JVM's own dispositions, read before any OpenCL call in this JVM or after a restore, name the same SIGSEGV handler twice. */
    @Test
    void readingIsStable() {
        assertArrayEquals(JvmSignalHandlers.read(JvmSignalHandlers.SIGSEGV), JvmSignalHandlers.read(JvmSignalHandlers.SIGSEGV));
    }
}
