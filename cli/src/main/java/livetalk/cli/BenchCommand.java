package livetalk.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder: timings of the kernels at DiT shapes (filled in by the kernel work). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Time kernels at DiT shapes (GFLOP/s, fraction of peak).")
final class BenchCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("bench: no benchmarks yet");
        return 0;
    }
}
