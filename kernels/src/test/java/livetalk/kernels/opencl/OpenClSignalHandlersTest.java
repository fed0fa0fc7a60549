package livetalk.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * The JVM keeps its own signal handlers in a process that runs the OpenCL backend. PoCL compiles
 * kernels through LLVM, which installs its SIGSEGV and SIGBUS handlers over the JVM's; the JVM
 * relies on SIGSEGV for the null checks of compiled code, so such a process died, now and then,
 * with "Segmentation fault" and no hs_err file (2026-11-29: 1 in 6 runs of the cli module's tests).
 * The JDK's signal-chaining library, preloaded (pom.xml's Surefire configuration and the launcher
 * set {@code LD_PRELOAD}), keeps the JVM's handlers in place. Linux only; skipped without OpenCL.
 */
class OpenClSignalHandlersTest extends OpenClTestBase {

    @Test
    void theJdkSignalChainingIsLoaded() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "not Linux");
        assertTrue(Files.readString(Path.of("/proc/self/maps")).contains("libjsig.so"),
                "this JVM runs OpenCL without the JDK's libjsig.so preloaded (LD_PRELOAD=$JAVA_HOME/lib/libjsig.so): "
                        + "the OpenCL compiler may replace the JVM's SIGSEGV handler");
    }

    /** After the backend has built its kernels: VM.info's signal handler table names the JVM's handler for SIGSEGV and SIGBUS. */
    @Test
    void theJvmStillHandlesSegvAndBusAfterTheKernelsAreBuilt() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "not Linux");
        String info = (String) ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                "vmInfo", new Object[]{null}, new String[]{String[].class.getName()});
        for (String signal : new String[]{"SIGSEGV", "SIGBUS"}) {
            String line = info.lines().filter(l -> l.strip().startsWith(signal + ":")).findFirst().orElse("");
            assertTrue(line.contains("libjvm"), signal + "'s handler is not the JVM's: " + line.strip());
        }
    }
}
