package livetalk.cli;

import java.io.PrintStream;
import livetalk.kernels.Backend;
import livetalk.kernels.Backends;
import livetalk.kernels.cpu.CpuBackend;
import picocli.CommandLine.Option;

/**
 * {@code --device} and {@code --threads}, and the backend they name: a picocli mixin
 * ({@code @Mixin BackendOptions backend;}) so every command that runs kernels parses, checks and
 * creates its backend the same way. The device names come from {@link Backends#NAMES}.
 */
public final class BackendOptions {
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEVICE",
            description = "where the kernels run: " + Backends.NAMES + " (default: ${DEFAULT-VALUE}; auto: a GPU if present, else the CPU)")
    String device = "cpu";

    @Option(names = "--threads", paramLabel = "N",
            description = "CPU threads for the kernels (default: all cores). A GPU backend runs its kernels on the GPU and ignores it, with a note on stderr.")
    Integer threads;

    /** The backend, after checking the options; notes on {@code err} when {@code --threads} has no effect. */
    public Backend create(PrintStream err) {
        livetalk.session.EarlyChecks.threads(threads);   // 1 to max(64, 8 × cores), one line otherwise
        Backend b = Backends.create(device, threads != null ? threads : CpuBackend.allCores());
        if (threads != null && !(b instanceof CpuBackend)) {
            err.println("livetalk: --threads " + threads + " has no effect: the " + b.name() + " backend runs its kernels on the GPU");
        }
        return b;
    }

    /** As {@link #create(PrintStream)}, with notes on stderr. */
    public Backend create() {
        return create(System.err);
    }
}
