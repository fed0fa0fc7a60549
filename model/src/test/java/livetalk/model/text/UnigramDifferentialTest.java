package livetalk.model.text;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import livetalk.io.Json;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tokenizer against the sentencepiece library (python3-sentencepiece 0.1.97): for every
 * {@code NAME.model} beside a {@code NAME.cases.jsonl.gz} (texts with the library's ids, made by
 * {@code make_tokenizer_fixtures.py}), every text must give exactly the library's ids. The
 * committed fixtures are unigram models trained here with spm_train, 10,000+ random strings each;
 * {@code -Dlivetalk.spm.cases=DIR} adds another folder of the same format (e.g. made from
 * google/sentencepiece's test models and texts).
 */
class UnigramDifferentialTest {
    static final Path DIR = Path.of("src/test/resources/fixtures/tokenizer");

    static List<Path> caseFiles() throws IOException {
        List<Path> dirs = new ArrayList<>(List.of(DIR));
        String extra = System.getProperty("livetalk.spm.cases", System.getenv("LIVETALK_SPM_CASES"));
        if (extra != null && !extra.isBlank()) dirs.add(Path.of(extra));
        List<Path> out = new ArrayList<>();
        for (Path d : dirs) {
            try (Stream<Path> s = Files.list(d)) {
                out.addAll(s.filter(p -> p.getFileName().toString().endsWith(".cases.jsonl.gz")).sorted().toList());
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caseFiles")
    @SuppressWarnings("unchecked")
    void idsEqualTheLibrary(Path cases) throws Exception {
        String name = cases.getFileName().toString().replace(".cases.jsonl.gz", "");
        UnigramTokenizer tok = UnigramTokenizer.load(cases.resolveSibling(name + ".model"));
        int total = 0, wrong = 0;
        StringBuilder examples = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(cases)), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                Map<String, Object> c = (Map<String, Object>) Json.parse(line);
                String text = (String) c.get("text");
                int[] expected = ((List<Object>) c.get("ids")).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
                int[] actual = tok.encode(text);
                total++;
                if (!Arrays.equals(expected, actual)) {
                    if (++wrong <= 5) {
                        examples.append("\n  ").append(Json.write(text)).append("\n    library ").append(pieces(tok, expected))
                                .append("\n    engine  ").append(pieces(tok, actual));
                    }
                }
            }
        }
        System.out.printf("%s: %d of %d texts give the library's ids%n", name, total - wrong, total);
        assertTrue(total >= 1000, name + ": only " + total + " cases");
        if (wrong > 0) throw new AssertionError(name + ": " + wrong + " of " + total + " texts differ from the library" + examples);
    }

    private static List<String> pieces(UnigramTokenizer tok, int[] ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) out.add(id + ":" + tok.model().pieces.get(id).piece());
        return out;
    }
}
