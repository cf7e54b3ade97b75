// Command loader fetches daily stock prices into Parquet, Arrow IPC or CSV
// files, serves an Alpha Vantage-compatible endpoint over synthetic data, and
// feeds the written files to ML training as batches.
//
// Each subcommand lives in its own file; this one wires them together and
// maps errors to exit codes: 0 success, 1 failure, 2 usage error (or an
// output path that cannot be used), 75 run again later (another process is
// writing the dataset, the request quota is used up), 130 interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/seed-c7c8f39b/loader/sinks/postgres"
)

// Exit codes shared by every command.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitTempFail    = 75 // EX_TEMPFAIL: stopped for a reason that passes; run again later
	exitInterrupted = 130
)

// stopSignals end a command gracefully: Ctrl-C, a kill, and a hang-up (a
// closed terminal, a dropped ssh session), which would otherwise end the
// process at once and leave its manifest pending.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

func main() {
	// Go ends a program whose write to a closed stdout or stderr pipe
	// raises SIGPIPE (`loader fetch | head -1`). Ignored, the write fails
	// with EPIPE instead: the run stops printing, finishes its work and
	// writes its manifest and report.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	out := &stopOnError{w: stdout}
	stderr = &stopOnError{w: stderr}
	root := newRootCmd(stderr)
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	stopProfile()
	if err == nil {
		return exitOK
	}
	if failed := out.Err(); failed != nil && errors.Is(err, failed) {
		// Whoever read stdout has gone (`loader inspect DIR | head`):
		// there is nobody to tell, and a line on the terminal would
		// only be noise.
		return exitFailure
	}
	if cmd == nil {
		cmd = root
	}
	say := errorPrinter(cmd, stderr)
	var exit *exitError
	if errors.As(err, &exit) {
		if exit.err != nil {
			say(exit.err, "")
		}
		return exit.code
	}
	if errors.Is(err, postgres.ErrLocked) {
		say(err, "")
		return exitTempFail
	}
	if isUsage(err) {
		say(err, cmd.CommandPath()+" --help")
		return exitUsage
	}
	say(err, "")
	return exitFailure
}

// errorPrinter returns how run reports the error that ends a command: a
// line "loader: …", or with --log-format json an ERROR record, so that
// everything on stderr is JSON. help names the command whose --help would
// have helped.
func errorPrinter(cmd *cobra.Command, stderr io.Writer) func(err error, help string) {
	if wantsJSON(cmd) {
		log := slog.New(slog.NewJSONHandler(stderr, nil))
		return func(err error, help string) {
			if help != "" {
				log.Error(err.Error(), "help", help)
			} else {
				log.Error(err.Error())
			}
		}
	}
	return func(err error, help string) {
		fmt.Fprintln(stderr, prefixed(err))
		if help != "" {
			fmt.Fprintf(stderr, "Run '%s' for usage.\n", help)
		}
	}
}

// wantsJSON reports whether cmd's --log-format is json, reading
// $LOADER_LOG_FORMAT when the error came before the flags were complete.
func wantsJSON(cmd *cobra.Command) bool {
	if f := cmd.Flags().Lookup("log-format"); f != nil && f.Changed {
		return f.Value.String() == "json"
	}
	return os.Getenv(envName("log-format")) == "json"
}

func newRootCmd(stderr io.Writer) *cobra.Command {
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
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			quiet, _ := cmd.Flags().GetBool("quiet")
			if err := setupLogging(stderr, logFormat, quiet); err != nil {
				return err
			}
			if logFormat == "json" {
				// What commands print on stderr becomes JSON records too.
				cmd.Root().SetErr(newLineLogger(slog.Default()))
			}
			return startProfile(cpuProfile)
		},
		// Without this, cobra reports an unknown command as a plain error.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				msg := fmt.Sprintf("unknown command %q", args[0])
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					msg += fmt.Sprintf(": did you mean %q?", s[0])
				}
				return usageError{errors.New(msg)}
			}
			return cmd.Help()
		},
	}
	root.SuggestionsMinimumDistance = 2
	root.SetVersionTemplate("loader {{.Version}}\n")
	root.PersistentFlags().StringVar(&logFormat, "log-format", "text", "log format on stderr: text or json (then everything loader prints on stderr is JSON)")
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file (for go tool pprof)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newFetchCmd(),
		newUpdateCmd(),
		newBatchesCmd(),
		newServeCmd(),
		newPlotCmd(), newInspectCmd(),
	)
	return root
}

// noArgs is the Args check of the commands that take only flags: a stray
// argument is a usage error that says which flag was probably meant.
func noArgs(hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		return usagef("%s takes no arguments, got %q: %s", cmd.Name(), strings.Join(args, " "), hint)
	}
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

// plural returns "1 symbol", "2 symbols": n and noun, with an s unless n
// is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
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
