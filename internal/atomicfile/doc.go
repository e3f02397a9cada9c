// Package atomicfile writes a file whole or not at all: the data go to a
// temporary file in the same folder, which is synced to disk and then
// renamed over the target; the folder is synced after the rename. A rename
// within one file system is atomic, so a crash or a full
// disk leaves either the old file or the new one, never half of one; this
// is what training histories and results files rely on to lose no data.
package atomicfile
