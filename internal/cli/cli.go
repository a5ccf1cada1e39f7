// Package cli implements the resona command line: embedding texts into a
// Lance table, searching it, reporting its health and maintaining it.
//
// Run is the whole program behind a function call, so that tests drive the
// commands end to end with their own arguments, streams and environment.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// app holds one invocation's streams, environment and global settings.
type app struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	env    func(string) string
	logger *slog.Logger

	// Global flags.
	dbFlag     string
	configFlag string
	jsonOut    bool

	// Provider flags (embed commands).
	providerFlag   string
	modelFlag      string
	endpointFlag   string
	dimensionsFlag int

	// started is set once flags and arguments were accepted: an error
	// before that point is a usage error.
	started bool
	cfg     fileConfig
}

// Run executes the resona command line with args (without the program
// name) and returns the process exit code: 0 on success, 1 when the
// command failed, 2 when the command line itself is wrong. Data goes to
// stdout; progress, logs and errors go to stderr. env looks up environment
// variables (os.Getenv in the real program); nil means an empty environment.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	if env == nil {
		env = func(string) string { return "" }
	}
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	a := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, env: env}
	a.logger = newLogger(stderr, env)
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	return a.fail(cmd, err)
}

// usageError marks a command line that cannot be run as given.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// fail prints err as one line on stderr and picks the exit code.
func (a *app) fail(cmd *cobra.Command, err error) int {
	var ue *usageError
	usage := errors.As(err, &ue) || !a.started
	msg := oneLine(explain(err).Error())
	// Layers prefix their own name; the line already starts with ours.
	for strings.HasPrefix(msg, "resona: ") {
		msg = strings.TrimPrefix(msg, "resona: ")
	}
	if usage {
		path := "resona"
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(a.stderr, "resona: %s (see '%s --help')\n", msg, path)
		return ExitUsage
	}
	fmt.Fprintf(a.stderr, "resona: %s\n", msg)
	return ExitError
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return strings.Join(parts, "; ")
}

// newLogger logs debug records to stderr when RESONA_DEBUG is set to a true
// value, and nothing otherwise.
func newLogger(w io.Writer, env func(string) string) *slog.Logger {
	switch strings.ToLower(strings.TrimSpace(env("RESONA_DEBUG"))) {
	case "1", "true", "yes", "on", "debug":
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}
