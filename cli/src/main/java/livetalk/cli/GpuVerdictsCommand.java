package livetalk.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import livetalk.cli.gpucheck.GpuCheckLogs;
import livetalk.cli.gpucheck.SwitchVerdicts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** The verdicts of one GPU check on the switches written without a GPU (docs/cuda-performance.md, "The next GPU run"). */
@Command(name = "gpu-verdicts", mixinStandardHelpOptions = true,
        description = "Read a GPU check's logs (scripts/gpu-check.sh run OUTDIR, its logs.tar.gz unpacked there) and say, per CUDA switch "
                + "not yet validated, whether its tests passed, whether it kept the defaults' bits and whether it was faster: "
                + "what to make the default.")
final class GpuVerdictsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "DIR", description = "the GPU check's output folder: STEP.log files and gpu-check.json")
    Path dir;

    @Override
    public Integer call() {
        if (!Files.isDirectory(dir)) throw new InputException("gpu-verdicts: " + dir + " is not a folder");
        if (!Files.isRegularFile(dir.resolve("gpu-check.json"))) {
            throw new InputException("gpu-verdicts: " + dir + " has no gpu-check.json (expected the output folder of scripts/gpu-check.sh run)");
        }
        boolean anyLog;
        try (var files = Files.list(dir)) {
            anyLog = files.anyMatch(f -> f.getFileName().toString().endsWith(".log"));
        } catch (java.io.IOException e) {
            throw new InputException("gpu-verdicts: cannot list " + dir + ": " + e.getMessage());
        }
        if (!anyLog) {
            throw new InputException("gpu-verdicts: no STEP.log in " + dir
                    + (Files.isRegularFile(dir.resolve("logs.tar.gz")) ? " (unpack its logs.tar.gz there first: tar -C " + dir + " -xzf " + dir.resolve("logs.tar.gz") + ")" : ""));
        }
        System.out.print(new SwitchVerdicts(GpuCheckLogs.read(dir)).report());
        return 0;
    }
}
