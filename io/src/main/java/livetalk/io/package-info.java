/**
 * Checkpoint files: safetensors (mapped read, write, streamed write), PyTorch zip checkpoints
 * (a small pickle reader, and a writer), JSON, and the exception that names a bad file. Uses only
 * {@code livetalk.tensor}; the model and everything above may use it.
 */
package livetalk.io;
