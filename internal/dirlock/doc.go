// Package dirlock serializes processes that fill the same cache folder.
//
// Two notebooks opened at once (or two CI jobs) may both find a cached
// artefact missing, say the digit classifier, and both start making it; the
// second to finish then finds the folder taken. Lock(dir) holds an exclusive
// advisory lock on dir/.lock (flock(2) on Unix) until the returned unlock
// is called, so the second process waits, then finds the artefact made and
// loads it. The lock is released by the kernel when a process dies, so a
// crashed run never leaves a stale lock behind. On systems without flock
// Lock only creates the folder.
package dirlock
