package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// envPrefix starts the environment variables that supply flag values:
// LOADER_OUT for --out, LOADER_SYMBOLS_FILE for --symbols-file.
const envPrefix = "LOADER_"

// applyEnv sets every flag of cmd not given on the command line from its
// LOADER_* variable, if set: flags win over the environment, which wins
// over defaults.
func applyEnv(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		name := envName(f.Name)
		value, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		if setErr := cmd.Flags().Set(f.Name, value); setErr != nil {
			err = usagef("$%s: %v", name, setErr)
		}
	})
	return err
}

// envName is the variable of flag name: LOADER_ and the name upper-cased
// with dashes as underscores.
func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}
