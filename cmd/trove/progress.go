package main

import (
	"io"
	"os"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/troveml/trove"
)

// minBarBytes is the smallest transfer worth a progress bar.
const minBarBytes = 8 << 20

// newProgress returns progress bars drawn on w when w is a terminal, and
// nil (no progress) otherwise, so that logs and pipes stay clean.
func newProgress(w io.Writer) trove.Progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &bars{out: f}
}

// bars draws one mpb bar per phase.
type bars struct {
	out *os.File
	mu  sync.Mutex
	p   *mpb.Progress
	bar *mpb.Bar
}

func (b *bars) Begin(phase string, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if total < minBarBytes {
		return
	}
	b.p = mpb.New(mpb.WithOutput(b.out), mpb.WithWidth(40))
	b.bar = b.p.AddBar(total,
		mpb.PrependDecorators(decor.Name(phase, decor.WCSyncSpaceR), decor.CountersKibiByte("% .1f / % .1f")),
		mpb.AppendDecorators(decor.AverageSpeed(decor.SizeB1024(0), "% .1f"), decor.Name(" "), decor.Percentage()),
	)
}

func (b *bars) Advance(n int64) {
	b.mu.Lock()
	bar := b.bar
	b.mu.Unlock()
	if bar != nil {
		bar.IncrInt64(n)
	}
}

func (b *bars) End() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar == nil {
		return
	}
	if !b.bar.Completed() {
		b.bar.Abort(false)
	}
	b.p.Wait()
	b.p, b.bar = nil, nil
}
