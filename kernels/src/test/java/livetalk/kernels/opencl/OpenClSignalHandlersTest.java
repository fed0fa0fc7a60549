package livetalk.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import javax.management.ObjectName;
import livetalk.kernels.Buf;
import org.junit.jupiter.api.Test;

/**
 * A process that has run the OpenCL backend keeps the JVM's handlers for the signals the JVM relies
 * on (JvmSignalHandlers says why). Read from the JVM's own report, {@code VM.info}, after the
 * backend has built its program and launched kernels (PoCL compiles each kernel's work-group
 * function at its first launch). Without the restore, on PoCL this fails: SIGSEGV and SIGBUS name
 * libLLVM, SIGFPE libpocl.
 */
class OpenClSignalHandlersTest extends OpenClTestBase {

    @Test
    void theJvmStillHandlesItsSignalsAfterKernelsAreBuiltAndLaunched() throws Exception {
        assumeTrue(JvmSignalHandlers.supported(), "sigaction is read only on Linux");
        Buf a = cl.upload(new float[]{1, 2, 3, 4}), b = cl.upload(new float[]{4, 3, 2, 1});
        cl.add(a, b, a);
        cl.read(a);
        String info = (String) ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                "vmInfo", new Object[]{null}, new String[]{String[].class.getName()});
        for (String signal : new String[]{"SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL"}) {
            String line = info.lines().filter(l -> l.strip().startsWith(signal + ":")).findFirst().orElse("");
            assertTrue(line.contains("libjvm"), signal + "'s handler is not the JVM's: " + line.strip());
        }
    }
}
