/**
 * {@code livetalk serve}: HTTP and WebSocket (Javalin), the JSON control API, the page (resources
 * under {@code web/}), speech sources (espeak-ng, WAV upload, microphone, an OpenAI-compatible
 * endpoint), the generator thread that lets sessions take turns at block boundaries, recording.
 * Uses the session layer and below; used by the CLI.
 */
package livetalk.server;
