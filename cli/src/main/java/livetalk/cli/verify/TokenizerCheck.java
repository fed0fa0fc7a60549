package livetalk.cli.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import livetalk.io.CheckpointException;
import livetalk.io.Json;
import livetalk.kernels.Backend;
import livetalk.model.text.PromptCleaner;
import livetalk.model.text.UnigramTokenizer;
import livetalk.model.text.Umt5Tokenizer;

/**
 * {@code tokenizer/}: every {@code *_strings.json} in the directory names a SentencePiece model
 * and lists strings with the ids the sentencepiece library gives (docs/model.md#tokenizer). Compared exactly,
 * one line per field over all strings of the file: the cleaned text, the untruncated pieces, the
 * raw-text ids (the normaliser's own whitespace handling) and the padded umT5 ids and mask.
 */
final class TokenizerCheck implements GoldenCheck {
    @Override
    public String stem() {
        return "tokenizer";
    }

    @Override
    public void run(GoldenDir dir, Backend backend, Report report) throws IOException {
        Path tdir = dir.path().resolve(stem());
        List<Path> files;
        try (Stream<Path> s = Files.list(tdir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith("_strings.json")).sorted().toList();
        }
        if (files.isEmpty()) {
            report.skip(stem(), "no *_strings.json in " + tdir);
            return;
        }
        for (Path f : files) checkFile(tdir, f, report);
    }

    @SuppressWarnings("unchecked")
    private void checkFile(Path tdir, Path f, Report report) throws IOException {
        String label = stem() + "/" + f.getFileName().toString().replaceFirst("\\.json$", "");
        Map<String, Object> j;
        try {
            j = (Map<String, Object>) Json.parse(Files.readString(f));
        } catch (Json.ParseException e) {
            throw new CheckpointException(f + ": not well-formed JSON: " + e.getMessage());
        }
        UnigramTokenizer sp = UnigramTokenizer.load(tdir.resolve((String) j.get("model")));
        int seqLen = j.get("seq_len") instanceof Long l ? l.intValue() : Umt5Tokenizer.SEQ_LEN;
        Umt5Tokenizer tok = new Umt5Tokenizer(sp, seqLen, false);   // the golden has no ftfy
        List<Long> cleanE = new ArrayList<>(), cleanA = new ArrayList<>();
        List<Long> piecesE = new ArrayList<>(), piecesA = new ArrayList<>();
        List<Long> rawE = new ArrayList<>(), rawA = new ArrayList<>();
        List<Long> idsE = new ArrayList<>(), idsA = new ArrayList<>();
        List<Long> maskE = new ArrayList<>(), maskA = new ArrayList<>();
        boolean debug = System.getenv("LIVETALK_DEBUG") != null;
        for (Object o : (List<Object>) j.get("records")) {
            Map<String, Object> r = (Map<String, Object>) o;
            String text = (String) r.get("text");
            String clean = PromptCleaner.clean(text, false);
            codepoints((String) r.get("text_clean"), cleanE);
            codepoints(clean, cleanA);
            // Pieces as strings: compared through their hash-free code points, one separator each.
            List<String> expPieces = (List<String>) (List<?>) r.get("sp_pieces");
            List<String> actPieces = sp.encodeAsPieces(clean);
            for (String p : expPieces) codepoints(p, piecesE);
            for (String p : actPieces) codepoints(p, piecesA);
            longs((List<Object>) r.get("sp_ids_raw"), rawE);
            for (int id : sp.encode(text)) rawA.add((long) id);
            rawA.add(-1L);
            Umt5Tokenizer.Encoding enc = tok.encodeClean(clean);
            longs((List<Object>) r.get("ids"), idsE);
            longs((List<Object>) r.get("mask"), maskE);
            for (long v : enc.ids()) idsA.add(v);
            idsA.add(-1L);
            for (long v : enc.mask()) maskA.add(v);
            maskA.add(-1L);
            if (debug && !expPieces.equals(actPieces)) {
                System.err.println("tokenizer mismatch for " + Json.write(text) + ":\n  expected " + expPieces + "\n  actual   " + actPieces);
            }
        }
        report.compareExact(label, "text_clean", toArray(cleanE), toArray(cleanA));
        report.compareExact(label, "sp_pieces", toArray(piecesE), toArray(piecesA));
        report.compareExact(label, "sp_ids_raw", toArray(rawE), toArray(rawA));
        report.compareExact(label, "ids", toArray(idsE), toArray(idsA));
        report.compareExact(label, "mask", toArray(maskE), toArray(maskA));
    }

    private static void codepoints(String s, List<Long> out) {
        s.codePoints().forEach(c -> out.add((long) c));
        out.add(-1L);
    }

    private static void longs(List<Object> l, List<Long> out) {
        for (Object o : l) out.add(((Number) o).longValue());
        out.add(-1L);
    }

    private static long[] toArray(List<Long> l) {
        long[] a = new long[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }
}
