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

// fromEnv is the annotation applyEnv puts on a flag it set, holding the
// variable's name, so that an error about the value can name its source.
const fromEnv = "loader-env"

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
			return
		}
		if f.Annotations == nil {
			f.Annotations = map[string][]string{}
		}
		f.Annotations[fromEnv] = []string{name}
	})
	return err
}

// envName is the variable of flag name: LOADER_ and the name upper-cased
// with dashes as underscores.
func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// flagRef names where the value of flag came from, for an error about it:
// "--format", or "$LOADER_FORMAT" when applyEnv set it.
func flagRef(cmd *cobra.Command, flag string) string {
	if f := cmd.Flags().Lookup(flag); f != nil {
		if env := f.Annotations[fromEnv]; len(env) > 0 {
			return "$" + env[0]
		}
	}
	return "--" + flag
}
