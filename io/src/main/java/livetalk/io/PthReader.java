package livetalk.io;

import java.nio.file.Path;

/** PyTorch zip checkpoints (torch.save): placeholder until the pickle reader lands. */
final class PthReader {
    private PthReader() {
    }

    static Checkpoint open(Path path) {
        throw new CheckpointException(path + ": PyTorch zip checkpoints are not readable yet");
    }
}
