package livetalk.model.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece unigram encoding: normalise, then the Viterbi segmentation that maximises the
 * sum of piece scores (sentencepiece 0.1.97's optimised encoder, down to its mix of float and
 * double arithmetic, which decides ties). A character no piece covers becomes the unknown piece
 * with score {@code min − 10}; with {@code byte_fallback} it is then written as its UTF-8 bytes
 * ({@code <0xNN>} pieces), otherwise a run of unknown pieces is merged into one, as the library does.
 * User-defined pieces score {@code length·max − 0.1} so they always win; unused, control,
 * unknown and byte pieces never take part in the segmentation.
 */
public final class UnigramTokenizer {
    private static final float UNK_PENALTY = 10.0f;

    private final SentencePieceModel model;
    private final Normalizer normalizer;
    /** Segmentable pieces (normal, user-defined, unused) keyed by their bytes as ISO-8859-1 chars. */
    private final Map<String, Integer> vocab = new HashMap<>();
    private final int[] byteIds = new int[256];
    private final int maxPieceBytes;
    private final float minScore, maxScore;
    private final int unkId;

    public UnigramTokenizer(SentencePieceModel m) {
        this.model = m;
        List<String> userDefined = new ArrayList<>();
        float min = Float.MAX_VALUE, max = Float.MIN_VALUE;   // sentencepiece's initial values
        int maxLen = 1, unk = -1;
        java.util.Arrays.fill(byteIds, -1);
        for (int i = 0; i < m.pieces.size(); i++) {
            SentencePieceModel.Piece p = m.pieces.get(i);
            switch (p.type()) {
                case NORMAL, USER_DEFINED, UNUSED -> {
                    byte[] b = p.piece().getBytes(StandardCharsets.UTF_8);
                    if (vocab.putIfAbsent(latin1(b, 0, b.length), i) != null) {
                        throw new IllegalArgumentException("duplicate piece '" + p.piece() + "'");
                    }
                    maxLen = Math.max(maxLen, b.length);
                    if (p.type() == SentencePieceModel.Type.USER_DEFINED) userDefined.add(p.piece());
                    if (p.type() == SentencePieceModel.Type.NORMAL) {
                        min = Math.min(min, p.score());
                        max = Math.max(max, p.score());
                    }
                }
                case UNKNOWN -> unk = i;
                case BYTE -> {
                    String s = p.piece();
                    if (s.length() == 6 && s.startsWith("<0x") && s.endsWith(">")) byteIds[Integer.parseInt(s.substring(3, 5), 16)] = i;
                    else throw new IllegalArgumentException("byte piece '" + s + "' is not <0xNN>");
                }
                case CONTROL -> { }
            }
        }
        if (unk < 0) throw new IllegalArgumentException("model has no unknown piece");
        if (m.byteFallback) {
            for (int b = 0; b < 256; b++) if (byteIds[b] < 0) throw new IllegalArgumentException("byte_fallback set but piece <0x" + hex(b) + "> missing");
        }
        this.unkId = unk;
        this.maxPieceBytes = maxLen;
        this.minScore = min;
        this.maxScore = max;
        this.normalizer = new Normalizer(m, userDefined);
    }

    public static UnigramTokenizer load(Path modelFile) {
        SentencePieceModel m = SentencePieceModel.read(modelFile);
        try {
            return new UnigramTokenizer(m);
        } catch (IllegalArgumentException e) {
            throw new livetalk.io.CheckpointException(modelFile + ": " + e.getMessage());
        }
    }

    public SentencePieceModel model() {
        return model;
    }

    public int vocabSize() {
        return model.pieces.size();
    }

    /** The normalised text (UTF-8, spaces as ▁). */
    public byte[] normalize(String text) {
        return normalizer.normalize(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Piece ids of {@code text}, without any special tokens. */
    public int[] encode(String text) {
        List<int[]> pieces = encodePieces(text);
        int[] ids = new int[pieces.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = pieces.get(i)[0];
        return ids;
    }

    /** Piece strings of {@code text} (as sentencepiece's {@code encode(out_type=str)}). */
    public List<String> encodeAsPieces(String text) {
        List<String> out = new ArrayList<>();
        for (int id : encode(text)) out.add(model.pieces.get(id).piece());
        return out;
    }

    /** The segmentation as {@code {id, start, end}} byte spans of the normalised text. */
    private List<int[]> encodePieces(String text) {
        byte[] s = normalize(text);
        int n = s.length;
        float[] best = new float[n + 1];
        int[] from = new int[n + 1];
        int[] id = new int[n + 1];
        java.util.Arrays.fill(from, -1);
        float unkScore = minScore - UNK_PENALTY;
        int start = 0;
        while (start < n) {
            float here = best[start];
            int mblen = Math.min(Utf8.oneCharLen(s[start]), n - start);
            boolean single = false;
            int limit = Math.min(n, start + maxPieceBytes);
            for (int end = start + 1; end <= limit; end++) {
                Integer pid = vocab.get(latin1(s, start, end));
                if (pid == null) continue;
                SentencePieceModel.Piece p = model.pieces.get(pid);
                if (p.type() == SentencePieceModel.Type.UNUSED) continue;
                int length = end - start;
                // As sentencepiece 0.1.97's EncodeOptimized: the candidate is a double (the ternary with
                // 0.1 promotes both branches), compared with the float stored so far and stored as a
                // float. This decides ties: "......" + "." beats "." + "......" when the float sum
                // was rounded down.
                double cand = (p.type() == SentencePieceModel.Type.USER_DEFINED
                        ? (double) (length * maxScore) - 0.1
                        : (double) p.score()) + here;
                if (from[end] == -1 || cand > best[end]) {
                    best[end] = (float) cand;
                    from[end] = start;
                    id[end] = pid;
                }
                if (length == mblen) single = true;
            }
            if (!single) {
                int end = start + mblen;
                float cand = unkScore + here;                 // float arithmetic here, as in the library
                if (from[end] == -1 || cand > best[end]) {
                    best[end] = cand;
                    from[end] = start;
                    id[end] = unkId;
                }
            }
            start += mblen;
        }
        List<int[]> rev = new ArrayList<>();
        for (int end = n; end > 0; end = from[end]) rev.add(new int[]{id[end], from[end], end});
        List<int[]> out = new ArrayList<>(rev.size());
        boolean prevUnk = false;
        for (int i = rev.size() - 1; i >= 0; i--) {
            int[] p = rev.get(i);
            boolean unk = p[0] == unkId;
            if (unk && model.byteFallback) {   // unknown piece → its UTF-8 bytes
                for (int b = p[1]; b < p[2]; b++) out.add(new int[]{byteIds[s[b] & 0xff], b, b + 1});
            } else if (unk && prevUnk) {        // a run of unknown characters is one <unk> (the library merges them)
                out.getLast()[2] = p[2];
            } else {
                out.add(p);
            }
            prevUnk = unk;
        }
        return out;
    }

    /** Text of piece ids: byte pieces joined as UTF-8, ▁ as space, the dummy-prefix space removed, control pieces dropped. */
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i : ids) {
            if (i < 0 || i >= model.pieces.size()) throw new IllegalArgumentException("id " + i + " out of range");
            SentencePieceModel.Piece p = model.pieces.get(i);
            switch (p.type()) {
                case BYTE -> bytes.write(Integer.parseInt(p.piece().substring(3, 5), 16));
                case CONTROL -> { }
                case UNKNOWN -> bytes.writeBytes(" \u2047 ".getBytes(StandardCharsets.UTF_8));
                default -> bytes.writeBytes(p.piece().replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8));
            }
        }
        String t = new String(bytes.toByteArray(), StandardCharsets.UTF_8);
        if (model.addDummyPrefix && !model.treatWhitespaceAsSuffix && t.startsWith(" ")) t = t.substring(1);
        return t;
    }

    private static String latin1(byte[] b, int from, int to) {
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private static String hex(int b) {
        return String.format("%02X", b);
    }
}
