package livetalk.cli.gpucheck;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one {@code scripts/gpu-check.sh run} left behind, read back: each step's log ({@code STEP.log})
 * and exit status ({@code gpu-check.json}), and the figures the commands print in them. The line
 * formats are those of {@code bench-dit}, {@code bench-vae}, {@code verify} and the JUnit console;
 * a step that did not run has no log, and every reader then says so by an empty result.
 */
public final class GpuCheckLogs {
    private static final Pattern DEVICE = Pattern.compile("\"device\": \"([^\"]*)\"");
    private static final Pattern STEP_EXIT = Pattern.compile("\\{\"step\": \"([^\"]+)\", \"exit\": (null|-?\\d+)");
    // "forward 1: 0.065 s (65.12 ms), 256012.3 GFLOP/s"; logs from before the milliseconds were printed
    // (runs 1–9) give the time through the rate and the call's work ("call: …, 16.672 TFLOP")
    private static final Pattern FORWARD = Pattern.compile("^forward (\\d+): [0-9.]+ s(?: \\(([0-9.]+) ms\\))?, ([0-9.]+) GFLOP/s");
    private static final Pattern CALL_TFLOP = Pattern.compile("^call: .*?([0-9.]+) TFLOP");
    private static final Pattern BACK_TO_BACK = Pattern.compile("^back to back .*?: ([0-9.]+) ms each");
    private static final Pattern CHECKSUM = Pattern.compile("^output checksum: (\\S+)");
    private static final Pattern OUTPUT_VS = Pattern.compile("^output vs \\S+: rel_l2 = (\\S+),");
    // "latent frame 1 (4 frames): 0.07 s (70.12 ms), 126.3 GFLOP/s (8.88 TFLOP per latent frame, …"; before
    // the milliseconds were printed, the time comes from the rate and the work
    private static final Pattern LATENT_FRAME = Pattern.compile(
            "^latent frame ([1-9]\\d*) \\(\\d+ frames\\): ([0-9.]+) s(?: \\(([0-9.]+) ms\\))?, ([0-9.]+) GFLOP/s \\(([0-9.]+) TFLOP");
    private static final Pattern SUSTAINED = Pattern.compile("sustained after block 1: ([0-9.]+) frames/s");
    private static final Pattern FIRST_GENERATED = Pattern.compile("first generated frame after ([0-9.]+) s");
    /** Before the reference frame was decoded first (runs 1–9), bench-pipeline's first frame was the first generated one. */
    private static final Pattern FIRST_FRAME_BEFORE = Pattern.compile("^first frame after ([0-9.]+) s;");
    private static final Pattern GPU_MEMORY = Pattern.compile("^GPU memory held by buffers and weights: ([0-9.]+) GiB at the peak");
    private static final Pattern VERDICT = Pattern.compile("^verdict: (\\d+) OK, (\\d+) FAIL, (\\d+) SKIPPED");
    private static final Pattern FAILED_TEST = Pattern.compile("MethodSource \\[className = '([^']+)'");
    private static final Pattern TESTS_FAILED = Pattern.compile("^\\[\\s*(\\d+) tests failed\\s*]");

    private final Function<String, Optional<String>> logs;
    private final Map<String, Integer> exits;
    private final String device;
    private final Map<String, List<String>> lines = new HashMap<>();

    /**
     * @param logs  a step's log by its name (no {@code .log}), empty where the step left none
     * @param exits the exit status of every step that ran to an end; a step absent from it did not
     *              run (deferred, or left out by {@code --only})
     * @param device the GPU's name as nvidia-smi gave it; empty where there was none (the stub driver)
     */
    public GpuCheckLogs(Function<String, Optional<String>> logs, Map<String, Integer> exits, String device) {
        this.logs = logs;
        this.exits = Map.copyOf(exits);
        this.device = device;
    }

    /** The logs in {@code dir} (unpacked from {@code logs.tar.gz}) and its {@code gpu-check.json}. */
    public static GpuCheckLogs read(Path dir) {
        Map<String, Integer> exits = new HashMap<>();
        String device = "";
        Path json = dir.resolve("gpu-check.json");
        if (Files.isRegularFile(json)) {
            String text = readString(json);
            Matcher m = STEP_EXIT.matcher(text);
            while (m.find()) {
                if (!m.group(2).equals("null")) exits.put(m.group(1), Integer.parseInt(m.group(2)));
            }
            Matcher d = DEVICE.matcher(text);
            if (d.find()) device = d.group(1);
        }
        return new GpuCheckLogs(step -> {
            Path f = dir.resolve(step + ".log");
            return Files.isRegularFile(f) ? Optional.of(readString(f)) : Optional.empty();
        }, exits, device);
    }

    private static String readString(Path f) {
        try {
            return Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The GPU the run had, as nvidia-smi names it; empty if none was named. */
    public String device() {
        return device;
    }

    public Optional<String> log(String step) {
        return logs.apply(step);
    }

    /** The step's exit status; empty if it did not run to an end. */
    public Optional<Integer> exit(String step) {
        return Optional.ofNullable(exits.get(step));
    }

    /**
     * A DiT forward's time in ms: the median of bench-dit's forwards after the first (the first
     * compiles and allocates), or of all of them if only one ran.
     */
    public OptionalDouble forwardMs(String step) {
        List<Double> ms = new ArrayList<>();
        List<Double> first = new ArrayList<>();
        OptionalDouble tflop = first(step, CALL_TFLOP);
        for (String line : lines(step)) {
            Matcher m = FORWARD.matcher(line);
            if (!m.find()) continue;
            double t;
            if (m.group(2) != null) t = Double.parseDouble(m.group(2));
            else if (tflop.isPresent()) t = tflop.getAsDouble() * 1e12 / (Double.parseDouble(m.group(3)) * 1e9) * 1e3;
            else continue;
            (m.group(1).equals("0") ? first : ms).add(t);
        }
        return median(ms.isEmpty() ? first : ms);
    }

    /** bench-dit's forwards issued as a block's steps are (no host work between them), ms each. */
    public OptionalDouble backToBackMs(String step) {
        return first(step, BACK_TO_BACK);
    }

    public Optional<String> checksum(String step) {
        return lines(step).stream().map(CHECKSUM::matcher).filter(Matcher::find).map(m -> m.group(1)).findFirst();
    }

    /** bench-dit's relative L2 against the saved baseline output ({@code --compare-output}). */
    public OptionalDouble outputRelL2(String step) {
        return first(step, OUTPUT_VS);
    }

    /**
     * A 4-frame latent frame's decode in ms, the fastest of bench-vae's latent frames after the first
     * one-frame call (the last is profiled, the one before may still allocate: the fastest is the
     * figure both of two runs share).
     */
    public OptionalDouble latentFrameMs(String step) {
        return lines(step).stream().map(LATENT_FRAME::matcher).filter(Matcher::find).mapToDouble(m -> m.group(3) != null
                ? Double.parseDouble(m.group(3))
                : Double.parseDouble(m.group(5)) * 1e12 / (Double.parseDouble(m.group(4)) * 1e9) * 1e3).min();
    }

    /** bench-pipeline's frames per second after its first block. */
    public OptionalDouble sustainedFramesPerSecond(String step) {
        return first(step, SUSTAINED);
    }

    /** bench-pipeline's first generated frame, seconds from the run's start. */
    public OptionalDouble firstGeneratedFrameSeconds(String step) {
        OptionalDouble s = first(step, FIRST_GENERATED);
        return s.isPresent() ? s : first(step, FIRST_FRAME_BEFORE);
    }

    /** bench-pipeline's GPU memory held by buffers and weights at the peak, GiB. */
    public OptionalDouble peakGpuMemoryGiB(String step) {
        return first(step, GPU_MEMORY);
    }

    private OptionalDouble first(String step, Pattern number) {
        return lines(step).stream().map(number::matcher).filter(Matcher::find).mapToDouble(m -> Double.parseDouble(m.group(1))).findFirst();
    }

    /** verify's check lines whose text matches {@code line}, in order. */
    public List<String> verifyLines(String step, Pattern line) {
        return lines(step).stream().filter(l -> line.matcher(l).find()).toList();
    }

    /** verify's verdict: {OK, FAIL, SKIPPED}; empty if the step printed none. */
    public Optional<int[]> verdict(String step) {
        return lines(step).stream().map(VERDICT::matcher).filter(Matcher::find)
                .map(m -> new int[]{Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))}).findFirst();
    }

    /** The JUnit console's count of failed tests; empty if its summary is missing (the step was cut short). */
    public OptionalInt testsFailed(String step) {
        return lines(step).stream().map(TESTS_FAILED::matcher).filter(Matcher::find)
                .mapToInt(m -> Integer.parseInt(m.group(1))).findFirst();
    }

    /** The simple names of the test classes with a failed or aborted test in the step's log. */
    public List<String> failedTestClasses(String step) {
        return lines(step).stream().map(FAILED_TEST::matcher).filter(Matcher::find)
                .map(m -> m.group(1).substring(m.group(1).lastIndexOf('.') + 1)).distinct().toList();
    }

    /** A step's log in lines, read once: every figure of a verdict is asked of the same few logs. */
    private List<String> lines(String step) {
        return lines.computeIfAbsent(step, s -> log(s).map(text -> Arrays.asList(text.split("\\R"))).orElse(List.of()));
    }

    private static OptionalDouble median(List<Double> xs) {
        if (xs.isEmpty()) return OptionalDouble.empty();
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return OptionalDouble.of(a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2);
    }
}
