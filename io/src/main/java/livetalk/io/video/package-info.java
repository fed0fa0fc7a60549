/**
 * Video output: frames to H.264 mp4, through ffmpeg when it is installed and jcodec when not
 * (docs/model.md#video-output). Used by the commands that write video.
 */
package livetalk.io.video;
