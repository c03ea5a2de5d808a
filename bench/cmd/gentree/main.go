// Command gentree writes, or verifies, a deterministic tree of files with
// random content for the Trove benchmarks.
//
// File i of a tree is d<i/100>/f<i>.bin; the bytes total -bytes, spread evenly
// over -files files. The content of each file comes from a ChaCha8 stream
// seeded by (-seed, i), so it does not compress or deduplicate, and the same
// flags regenerate it exactly: -verify checks a copy (say, what `trove
// artifact get` wrote) without keeping a second copy around to compare with.
//
//	gentree -dir /tmp/t -files 1000 -bytes 1073741824 -seed 1
//	gentree -dir /tmp/copy -files 1000 -bytes 1073741824 -seed 1 -verify
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// filesPerDir keeps directories small, as real datasets usually are, and
// makes the walk exercise directory creation too.
const filesPerDir = 100

// chunk is the unit of generation and comparison.
const chunk = 1 << 20

// spec describes one tree.
type spec struct {
	files int
	bytes int64
	seed  uint64
}

// name is the slash path of file i.
func (s spec) name(i int) string {
	return fmt.Sprintf("d%03d/f%05d.bin", i/filesPerDir, i)
}

// size is the size of file i: the total split evenly, the remainder going one
// byte each to the first files.
func (s spec) size(i int) int64 {
	n := s.bytes / int64(s.files)
	if int64(i) < s.bytes%int64(s.files) {
		n++
	}
	return n
}

// stream returns the content of file i.
func (s spec) stream(i int) io.Reader {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[0:], s.seed)
	binary.LittleEndian.PutUint64(seed[8:], uint64(i))
	return io.LimitReader(rand.NewChaCha8(seed), s.size(i))
}

func main() {
	dir := flag.String("dir", "", "tree root (created if missing)")
	files := flag.Int("files", 1000, "number of files")
	total := flag.Int64("bytes", 1<<30, "total bytes over all files")
	seed := flag.Uint64("seed", 1, "content seed; different seeds give unrelated content")
	verify := flag.Bool("verify", false, "check that -dir holds exactly this tree instead of writing it")
	flag.Parse()
	if *dir == "" || *files < 1 || *total < 0 {
		fmt.Fprintln(os.Stderr, "gentree: need -dir, -files >= 1 and -bytes >= 0")
		os.Exit(2)
	}
	s := spec{files: *files, bytes: *total, seed: *seed}
	var err error
	if *verify {
		err = verifyTree(*dir, s)
	} else {
		err = writeTree(*dir, s)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gentree:", err)
		os.Exit(1)
	}
}

// parallel runs fn(i) for i in [0, n) on one worker per CPU and returns the
// first error.
func parallel(n int, fn func(i int) error) error {
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// writeTree writes the tree under dir.
func writeTree(dir string, s spec) error {
	for d := 0; d*filesPerDir < s.files; d++ {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(filepath.FromSlash(s.name(d*filesPerDir)))), 0o755); err != nil {
			return err
		}
	}
	return parallel(s.files, func(i int) error {
		f, err := os.Create(filepath.Join(dir, filepath.FromSlash(s.name(i))))
		if err != nil {
			return err
		}
		buf := make([]byte, chunk)
		_, err = io.CopyBuffer(f, s.stream(i), buf)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// verifyTree checks that dir holds exactly the tree: every file present with
// its content, and no other file.
func verifyTree(dir string, s spec) error {
	want := make(map[string]bool, s.files)
	for i := range s.files {
		want[s.name(i)] = true
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if !want[filepath.ToSlash(rel)] {
			return fmt.Errorf("unexpected file %s", p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return parallel(s.files, func(i int) error {
		p := filepath.Join(dir, filepath.FromSlash(s.name(i)))
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := sameContent(f, s.stream(i)); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		return nil
	})
}

// sameContent reports an error unless got and want yield the same bytes.
func sameContent(got, want io.Reader) error {
	a, b := make([]byte, chunk), make([]byte, chunk)
	var off int64
	for {
		n, errw := io.ReadFull(want, b)
		m, errg := io.ReadFull(got, a[:n])
		if errg != nil && !errors.Is(errg, io.EOF) && !errors.Is(errg, io.ErrUnexpectedEOF) {
			return errg
		}
		if m < n {
			return fmt.Errorf("short: %d bytes, want %d", off+int64(m), off+int64(n))
		}
		if !bytes.Equal(a[:n], b[:n]) {
			return fmt.Errorf("content differs in bytes %d..%d", off, off+int64(n))
		}
		off += int64(n)
		if errw != nil { // want is exhausted; got must be too
			if m, _ := got.Read(a[:1]); m > 0 {
				return fmt.Errorf("long: more than %d bytes", off)
			}
			return nil
		}
	}
}
