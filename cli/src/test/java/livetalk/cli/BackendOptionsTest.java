package livetalk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import livetalk.kernels.Backend;
import livetalk.kernels.Backends;
import livetalk.kernels.cpu.CpuBackend;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The one place --device and --threads are parsed, checked and turned into a backend. */
class BackendOptionsTest {
    @Command(name = "t")
    static final class Host {
        @Mixin
        BackendOptions options;
    }

    private static BackendOptions parse(String... args) {
        Host h = new Host();
        new CommandLine(h).parseArgs(args);
        return h.options;
    }

    @Test
    void cpuWithThreadsSaysNothing() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (Backend b = parse("--device", "cpu", "--threads", "1").create(new PrintStream(err, true, StandardCharsets.UTF_8))) {
            assertTrue(b instanceof CpuBackend, b.name());
        } finally {
            new CpuBackend();   // back to all cores for the tests that follow in this JVM
        }
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void threadsBelowOneIsAnInputError() {
        // the check lives in the session layer (EarlyChecks), whose InputException the CLI prints as one line, exit 2
        livetalk.session.InputException e = assertThrows(livetalk.session.InputException.class, () -> parse("--threads", "0").create());
        assertTrue(e.getMessage().contains("--threads 0"), e.getMessage());
    }

    @Test
    void helpNamesTheDevicesFromBackends() {
        String usage = new CommandLine(new Host()).getUsageMessage();
        assertTrue(usage.contains(Backends.NAMES), usage);
    }

    @Test
    void threadsWithAGpuBackendSaysItHasNoEffect() {
        assumeTrue(Backends.openClAvailable(), () -> "no OpenCL: " + Backends.openClUnavailableReason());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (Backend b = parse("--device", "opencl", "--threads", "3").create(new PrintStream(err, true, StandardCharsets.UTF_8))) {
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("--threads 3 has no effect"), err.toString(StandardCharsets.UTF_8));
        }
    }
}
