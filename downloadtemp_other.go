//go:build !unix

package trove

import "os"

// lockTemp does nothing here: on Windows an open file cannot be removed,
// which is what keeps a cleaner off a live download's temporary file.
func lockTemp(*os.File) bool { return true }

// removeStale removes the temporary file at name, which fails while a
// download has it open, and reports whether it did.
func removeStale(root *os.Root, name string) bool { return root.Remove(name) == nil }
