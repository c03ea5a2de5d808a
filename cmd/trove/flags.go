package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/troveml/trove/internal/core"
)

// annNonEmpty marks a flag whose absence means "use the default": given
// with an empty value it is refused rather than read as absent.
const annNonEmpty = "trove_nonempty"

// nonEmpty marks flags of fs whose empty value would otherwise mean "use
// the default". An explicit empty value is most often an unset shell
// variable (-n "$NAME"), and silently using the default hides it.
func nonEmpty(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		if err := fs.SetAnnotation(n, annNonEmpty, []string{"true"}); err != nil {
			panic(err) // a flag name misspelt in the code
		}
	}
}

// checkNonEmpty refuses a flag marked nonEmpty that was given with an
// empty value. It runs before every command (the root's pre-run), on the
// command's own and inherited flags.
func checkNonEmpty(cmd *cobra.Command) error {
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) { // Visit: only the flags given
		if err != nil || f.Annotations[annNonEmpty] == nil || f.Value.String() != "" {
			return
		}
		name := "--" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand + "/" + name
		}
		err = core.Errorf(core.ErrInvalid, "%s: empty value (unset shell variable?)", name)
	})
	return err
}
