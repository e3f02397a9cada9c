// Package atomicfile writes a file whole or not at all: the data go to a
// temporary file in the same folder, which is then renamed over the
// target. A rename within one file system is atomic, so a crash or a full
// disk leaves either the old file or the new one, never half of one; this
// is what training histories and results files rely on to lose no data.
package atomicfile
