package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/cache"
)

func newCacheCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Manage the local blob cache",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "cleanup SIZE",
		Short: "Shrink the blob cache to at most SIZE, evicting least recently used blobs",
		Long: `Evict the least recently used blobs from the client cache ($TROVE_CACHE_DIR,
else ~/.cache/trove) until it holds at most SIZE. SIZE is a number of bytes
with an optional unit: 10GB or 500MB (powers of 1000), 10GiB or 10G (powers of
1024). 0 empties the cache.`,
		Example: "  trove artifact cache cleanup 1GB",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, err := cache.ParseSize(args[0])
			if err != nil {
				return err
			}
			dir := os.Getenv(trove.EnvCacheDir)
			if dir == "" {
				if dir, err = cache.DefaultDir(); err != nil {
					return err
				}
			}
			b, err := cache.OpenBlobs(filepath.Join(dir, "blobs"), cache.DefaultLimit)
			if err != nil {
				return err
			}
			freed, err := b.Cleanup(cmd.Context(), target)
			if err != nil {
				return err
			}
			used, files, err := b.Usage(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(g.stdout, "reclaimed %s; the cache now holds %s in %s\n", cache.FormatSize(freed), cache.FormatSize(used), count(int64(files), "blob"))
			return err
		},
	})
	return cmd
}
