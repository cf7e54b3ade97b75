// Command loader fetches daily stock prices into Parquet, Arrow IPC or CSV
// files, serves an Alpha Vantage-compatible endpoint over synthetic data, and
// feeds the written files to ML training as batches.
//
// Each subcommand lives in its own file; this one wires them together and
// maps errors to exit codes: 0 success, 1 failure, 2 usage error, 130
// interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitTempFail    = 75 // EX_TEMPFAIL: stopped for a reason that passes; run again later
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var exit *exitError
	if errors.As(err, &exit) {
		if exit.err != nil {
			fmt.Fprintln(stderr, prefixed(exit.err))
		}
		return exit.code
	}
	fmt.Fprintln(stderr, prefixed(err))
	if isUsage(err) {
		fmt.Fprintln(stderr, "Run 'loader --help' for usage.")
		return exitUsage
	}
	return exitFailure
}

func newRootCmd() *cobra.Command {
	var logFormat, cpuProfile string
	root := &cobra.Command{
		Use:   "loader",
		Short: "Stream daily stock prices into Arrow and Parquet, and feed them to ML training",
		Long: `loader moves data from where it lives into Arrow and Parquet files, fast and
without losing any of it, and feeds those files to ML training as batches.

Without an Alpha Vantage key it uses built-in SYNTHETIC sample data, so every
command works offline. Every flag can also be set by an environment variable
LOADER_<FLAG> (--symbols-file: LOADER_SYMBOLS_FILE); flags win.`,
		Example: `  loader fetch --symbols AAPL,GOOGL,MSFT
  loader fetch --symbols IBM --source alphavantage --format arrow --out prices
  loader serve --addr 127.0.0.1:8080`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			quiet, _ := cmd.Flags().GetBool("quiet")
			if err := setupLogging(cmd.ErrOrStderr(), logFormat, quiet); err != nil {
				return err
			}
			return startProfile(cpuProfile)
		},
		PersistentPostRun: func(*cobra.Command, []string) { stopProfile() },
		// Without this, cobra reports an unknown command as a plain error.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q", args[0])
			}
			return cmd.Help()
		},
	}
	root.PersistentFlags().StringVar(&logFormat, "log-format", "text", "log format on stderr: text or json")
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file (for go tool pprof)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newFetchCmd(),
		newBatchesCmd(),
		newServeCmd(),
		newPlotCmd(), newInspectCmd(),
	)
	return root
}

// prefixed returns err's message starting with "loader: ", once: errors of
// the loader package already carry it.
func prefixed(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "loader: ") {
		return msg
	}
	return "loader: " + msg
}

// usageError marks a mistake in the command line: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// exitError makes a command end with a specific exit code after it has
// printed its own report; err, if not nil, is printed as the last line.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
