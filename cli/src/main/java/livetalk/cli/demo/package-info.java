/**
 * The demo's assets: a tiny random model set in the official files and layout, a drawn portrait and
 * speech. Used by {@code livetalk demo} and the end-to-end tests.
 */
package livetalk.cli.demo;
