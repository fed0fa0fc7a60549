package livetalk.model.text;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import livetalk.io.CheckpointException;

/**
 * The parts of a SentencePiece {@code ModelProto} ({@code spiece.model}) that encoding needs:
 * the pieces with score and type, the trainer settings and the normaliser settings. Field
 * numbers are those of {@code sentencepiece_model.proto}; defaults are the proto defaults.
 */
public final class SentencePieceModel {
    /** {@code SentencePiece.Type}. */
    public enum Type { NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE }

    public record Piece(String piece, float score, Type type) {
    }

    public final List<Piece> pieces = new ArrayList<>();
    // trainer_spec (field 2)
    public int modelType = 1;          // 1 UNIGRAM, 2 BPE, 3 WORD, 4 CHAR
    public int unkId = 0, bosId = 1, eosId = 2, padId = -1;
    public boolean byteFallback = false;
    public boolean splitDigits = false;
    public boolean treatWhitespaceAsSuffix = false;
    // normalizer_spec (field 3)
    public String normalizerName = "";
    public byte[] precompiledCharsmap = new byte[0];
    public boolean addDummyPrefix = true;
    public boolean removeExtraWhitespaces = true;
    public boolean escapeWhitespaces = true;

    public static SentencePieceModel read(Path path) {
        byte[] data;
        try {
            data = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot read SentencePiece model (" + e.getMessage() + ")", e);
        }
        try {
            return parse(data);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(path + ": not a SentencePiece model: " + e.getMessage());
        }
    }

    public static SentencePieceModel parse(byte[] data) {
        SentencePieceModel m = new SentencePieceModel();
        ProtoReader r = new ProtoReader(data);
        while (r.next()) {
            switch (r.field()) {
                case 1 -> m.pieces.add(readPiece(r.message()));
                case 2 -> m.readTrainer(r.message());
                case 3 -> m.readNormalizer(r.message());
                default -> r.skip();
            }
        }
        if (m.pieces.isEmpty()) throw new IllegalArgumentException("no pieces");
        if (m.modelType != 1) throw new IllegalArgumentException("model_type " + m.modelType + " is not unigram (1)");
        return m;
    }

    private static Piece readPiece(ProtoReader r) {
        String piece = "";
        float score = 0;
        Type type = Type.NORMAL;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> piece = r.string();
                case 2 -> score = r.float32();
                case 3 -> {
                    int t = r.int32();
                    if (t < 1 || t > 6) throw new IllegalArgumentException("piece type " + t);
                    type = Type.values()[t - 1];
                }
                default -> r.skip();
            }
        }
        return new Piece(piece, score, type);
    }

    private void readTrainer(ProtoReader r) {
        while (r.next()) {
            switch (r.field()) {
                case 3 -> modelType = r.int32();
                case 24 -> treatWhitespaceAsSuffix = r.bool();
                case 25 -> splitDigits = r.bool();
                case 35 -> byteFallback = r.bool();
                case 40 -> unkId = r.int32();
                case 41 -> bosId = r.int32();
                case 42 -> eosId = r.int32();
                case 43 -> padId = r.int32();
                default -> r.skip();
            }
        }
    }

    private void readNormalizer(ProtoReader r) {
        while (r.next()) {
            switch (r.field()) {
                case 1 -> normalizerName = r.string();
                case 2 -> precompiledCharsmap = r.bytes();
                case 3 -> addDummyPrefix = r.bool();
                case 4 -> removeExtraWhitespaces = r.bool();
                case 5 -> escapeWhitespaces = r.bool();
                default -> r.skip();
            }
        }
    }
}
