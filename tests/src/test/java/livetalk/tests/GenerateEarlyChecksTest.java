package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import livetalk.cli.Main;
import livetalk.cli.demo.DemoAssets;
import livetalk.cli.demo.DemoModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code generate} checks its output path, options and prompt before any model runs: each
 * mistake is one line (exit 2) within seconds, and no file is left behind. Option errors are one
 * line plus a pointer to {@code --help}.
 */
class GenerateEarlyChecksTest {
    @TempDir
    static Path shared;
    static Path models, face, speech;

    @BeforeAll
    static void setUp() throws IOException {
        models = DemoModels.ensure(shared.resolve("cache"));
        face = shared.resolve("face.png");
        DemoAssets.portrait(face);
        speech = GenerateCommandTest.tone(shared.resolve("speech.wav"), 0.5);
    }

    /** {@code generate} with the test's models and inputs, a prompt unless one is given, and {@code args}. */
    static GenerateCommandTest.Run generate(String... args) {
        List<String> all = new ArrayList<>(List.of("generate", "--size", "128", "--cache", shared.resolve("cache").toString()));
        if (!List.of(args).contains("--image")) all.addAll(List.of("--models", models.toString(), "--image", face.toString(), "--audio", speech.toString()));
        if (Stream.of(args).noneMatch(a -> a.startsWith("--prompt"))) all.addAll(List.of("--prompt", "a person talking"));
        all.addAll(List.of(args));
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true));
        try {
            return new GenerateCommandTest.Run(Main.execute(all.toArray(String[]::new)), buf.toString());
        } finally {
            System.setErr(old);
        }
    }

    static void assertOneLine(GenerateCommandTest.Run r, String expect) {
        assertEquals(2, r.exit(), r.err());
        List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.getFirst().startsWith("error: ") && lines.getFirst().contains(expect), lines.getFirst());
    }

    @Test
    void outputPathIsCheckedFirst(@TempDir Path tmp) throws IOException {
        long t0 = System.nanoTime();
        assertOneLine(generate("--out", tmp.toString()), "is a folder");
        assertOneLine(generate("--out", tmp.resolve("talk.avi").toString()), "extension '.avi' is not supported; the video writer writes .mp4");
        assertOneLine(generate("--out", tmp.resolve("talk").toString()), "extension '' is not supported");
        assertOneLine(generate("--out", tmp.resolve("missing/talk.mp4").toString()), "does not exist");
        assertOneLine(generate("--out", "/proc/livetalk-test.mp4"), "cannot write in the folder /proc");
        Path faceMp4 = Files.copy(face, tmp.resolve("face.mp4"));
        assertOneLine(generate("--models", models.toString(), "--image", faceMp4.toString(), "--audio",
                speech.toString(), "--out", faceMp4.toString()), "is one of the inputs");
        assertTrue(Files.size(faceMp4) == Files.size(face), "the input is untouched");
        assertTrue((System.nanoTime() - t0) / 1e9 < 30, "all checks fail fast, before any model work");
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(faceMp4), s.toList(), "no file left behind");
        }
    }

    @Test
    void threadsHaveAnUpperBound(@TempDir Path tmp) {
        assertOneLine(generate("--out", tmp.resolve("t.mp4").toString(), "--threads", "100000"), "--threads 100000: expected 1 to");
        assertOneLine(generate("--out", tmp.resolve("t.mp4").toString(), "--threads", "0"), "--threads 0: expected 1 to");
    }

    @Test
    void optionErrorsAreOneLineAndAPointerToHelp() {
        GenerateCommandTest.Run r = generate("--out", "x.mp4", "--no-such-option");
        assertEquals(2, r.exit(), r.err());
        List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(2, lines.size(), r.err());
        assertTrue(lines.get(0).contains("Unknown option: '--no-such-option'"), r.err());
        assertTrue(lines.get(1).contains("livetalk generate --help"), r.err());
        assertFalse(r.err().contains("Usage:"), r.err());
    }

    @Test
    void aPromptStartingWithDashesCanBeGiven(@TempDir Path tmp) throws IOException {
        // Parsed as the prompt (the error is about the next check, the output name), not as an option.
        assertOneLine(generate("--prompt=--not-an-option", "--out", tmp.resolve("t.avi").toString()), "extension '.avi'");
        Path file = Files.writeString(tmp.resolve("prompt.txt"), "--a prompt from a file\n");
        assertOneLine(generate("--prompt-file", file.toString(), "--out", tmp.resolve("t.avi").toString()), "extension '.avi'");
        assertOneLine(generate("--prompt-file", file.toString(), "--prompt=x", "--out", tmp.resolve("t.mp4").toString()), "only one of them");
        assertOneLine(generate("--prompt-file", tmp.resolve("none.txt").toString(), "--out", tmp.resolve("t.mp4").toString()), "--prompt-file");
        Path bad = Files.write(tmp.resolve("bad.txt"), new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        assertOneLine(generate("--prompt-file", bad.toString(), "--out", tmp.resolve("t.mp4").toString()), "not UTF-8");
    }
}
