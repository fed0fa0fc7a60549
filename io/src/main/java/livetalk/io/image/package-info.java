/**
 * Image input: decoding, the antialiased bilinear resize and centre crop of the reference
 * portrait (docs/model.md#reference-image). Used by the pipeline's conditioning and by the golden checks.
 */
package livetalk.io.image;
