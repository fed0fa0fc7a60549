/**
 * {@code livetalk fuzz}: seeded corrupted files for every reader (safetensors, zip/.pth, pickle,
 * WAV, PNG, JPEG, SentencePiece model, tokenizer.json, JSON config), the mutator, and the counting.
 * Only each reader's documented exception may come out (README, "What the engine accepts and refuses").
 */
package livetalk.cli.fuzz;
