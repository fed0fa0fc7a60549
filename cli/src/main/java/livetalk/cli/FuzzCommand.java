package livetalk.cli;

import java.util.List;
import java.util.concurrent.Callable;
import livetalk.cli.fuzz.Fuzzer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code livetalk fuzz}: seeded corrupted inputs to every file reader (safetensors, zip/.pth,
 * pickle, WAV, PNG, JPEG, SentencePiece model, tokenizer.json, JSON config). Only each reader's
 * documented exception may come out, and no case may take over the time limit. Exits 1 on any
 * finding, printing the reader and case number that reproduce it with the same seed.
 */
@Command(name = "fuzz", mixinStandardHelpOptions = true, description = "Fuzz every file reader with seeded corrupted inputs.")
final class FuzzCommand implements Callable<Integer> {
    @Option(names = "--seed", defaultValue = "1", description = "seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--count", defaultValue = "10000", description = "cases per reader (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--max-ms", defaultValue = "2000", description = "time limit per case in ms (default: ${DEFAULT-VALUE})")
    long maxMillis;

    @Option(names = "--only", split = ",", paramLabel = "READER", description = "only these readers (safetensors, zip/pth, pickle, wav, png, jpeg, spiece.model, tokenizer.json, config.json)")
    List<String> only;

    @Override
    public Integer call() throws Exception {
        if (count < 1 || count > 10_000_000) throw new InputException("--count " + count + ": expected 1 to 10000000");
        Fuzzer.Summary s = new Fuzzer(seed, count, maxMillis, System.out).run(only);
        for (Fuzzer.Finding f : s.findings().subList(0, Math.min(20, s.findings().size()))) {
            System.out.printf("FINDING %s case %d (seed %d): %s%n", f.reader(), f.caseNo(), seed, f.what());
        }
        System.out.printf("fuzz: %d cases in %.1f s (%.0f cases/s): %d rejected with the documented exception, %d read cleanly, "
                        + "%d findings; slowest case %d ms; peak heap %d MB%n", s.cases(), s.seconds(), s.cases() / s.seconds(), s.rejected(),
                s.accepted(), s.findings().size(), s.slowestMillis(), s.peakHeapBytes() >> 20);
        return s.findings().isEmpty() ? 0 : 1;
    }
}
