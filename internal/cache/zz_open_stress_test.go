package cache

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

func TestZZOpenStress(t *testing.T) {
	if db := os.Getenv("ZZ_DB"); db != "" {
		c, err := OpenStatCache(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		return
	}
	fails := 0
	for round := range 30 {
		db := filepath.Join(t.TempDir(), "stat"+strconv.Itoa(round)+".db")
		var wg sync.WaitGroup
		var mu sync.Mutex
		for range 4 {
			wg.Go(func() {
				cmd := exec.Command(os.Args[0], "-test.run=^TestZZOpenStress$")
				cmd.Env = append(os.Environ(), "ZZ_DB="+db)
				out, err := cmd.CombinedOutput()
				if err != nil {
					mu.Lock()
					fails++
					t.Logf("%s", out)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	if fails > 0 {
		t.Fatalf("%d failures", fails)
	}
}
