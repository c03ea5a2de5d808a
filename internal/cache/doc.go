// Package cache is Trove's client cache (DESIGN §3): a bounded LRU cache of
// blobs by digest, and a stat cache that maps a file's identity (path, size,
// mtime, ctime, inode, device) to its digest so that re-logging an unchanged
// tree does not re-read it.
//
// Both live under one directory, DefaultDir, shared by every Trove process of
// the user. Neither is needed for correctness: a cache that cannot be opened
// or written costs speed, never data, so callers treat its errors as warnings.
package cache
