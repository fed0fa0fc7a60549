package livetalk.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import livetalk.cli.verify.Checks;
import livetalk.cli.verify.GoldenCheck;
import livetalk.cli.verify.GoldenDir;
import livetalk.cli.verify.Report;
import livetalk.io.CheckpointException;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.kernels.cuda.Bf16OperandBackend;
import livetalk.kernels.cuda.CudaBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Runs every golden check against a directory in the golden format (docs/numerics.md#verify) and prints one
 * line per compared tensor and a verdict; exits 1 if anything failed.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Check the engine against golden outputs of the official PyTorch code.")
final class VerifyCommand implements Callable<Integer> {

    @Option(names = "--golden", paramLabel = "DIR", description = "golden directory (default: tests/golden of this checkout)")
    Path golden;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--only", paramLabel = "STEM", split = ",", description = "run only these checks (golden file stems)")
    List<String> only;

    @Override
    public Integer call() {
        Path dir = golden != null ? golden : Launcher.home().resolve("tests/golden");
        if (!Files.isDirectory(dir)) {
            throw new InputException("golden directory " + dir + " does not exist (pass --golden DIR)");
        }
        Report report = new Report(System.out);
        try (GoldenDir gd = new GoldenDir(dir); Backend backend = backendOptions.create();
             Backend emulation = new Bf16OperandBackend(new CpuBackend())) {
            // Every file in the directory is opened and validated, including weight files.
            Set<String> stems = new HashSet<>();
            for (Path f : safetensorsFiles(dir)) {
                String stem = f.getFileName().toString().replaceFirst("\\.safetensors$", "");
                stems.add(stem);
                try {
                    gd.file(stem);
                } catch (CheckpointException e) {
                    report.fail(stem, "cannot load: " + e.getMessage());
                }
            }
            Set<String> covered = new HashSet<>(Checks.WEIGHT_FILES);
            for (GoldenCheck check : Checks.all()) {
                covered.add(check.stem());
                if (only != null && !only.contains(check.stem())) continue;
                boolean present = stems.contains(check.stem()) || Files.isDirectory(dir.resolve(check.stem()));
                if (!present) continue;
                try {
                    if (backend instanceof CudaBackend) {
                        // bf16 tensor cores: first the same check with the rounding emulated on the CPU, whose
                        // errors set this check's bounds (docs/numerics.md#bf16-tolerances-for-the-cuda-backend)
                        Report emulated = Report.recording();
                        check.run(gd, emulation, emulated);
                        report.useBf16Reference(emulated.recorded());
                    }
                    check.run(gd, backend, report);
                } catch (GoldenDir.Missing e) {
                    report.skip(check.stem(), "cannot run further: " + e.getMessage());
                } catch (Exception | StackOverflowError | OutOfMemoryError e) {
                    report.fail(check.stem(), e.getClass().getSimpleName() + ": " + e.getMessage());
                    if (System.getenv("LIVETALK_DEBUG") != null) e.printStackTrace();
                }
            }
            for (String stem : stems) {
                if (!covered.contains(stem) && (only == null || only.contains(stem))) {
                    report.skip(stem, "no check reads this file");
                }
            }
        }
        System.out.println(report.verdict());
        return report.failed() == 0 ? 0 : 1;
    }

    private static List<Path> safetensorsFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> l = new ArrayList<>(s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList());
            return l;
        } catch (IOException e) {
            throw new InputException("cannot list golden directory " + dir + ": " + e.getMessage());
        }
    }
}
