// Command resona embeds personal knowledge into a Lance table, searches it
// by meaning and keeps the table healthy.
//
//	resona embed generate notes.jsonl          # or --dir ~/notes, or - for stdin
//	resona embed search "how do I bake bread"  # -k 5, --json
//	resona embed stats                         # health, read-only
//	resona embed maintain                      # compact, reindex, clean up; --dry-run
//	resona embed export --with-vectors         # the table as JSON Lines
//
// The table is --db, RESONA_DB, the "db" key of
// $XDG_CONFIG_HOME/resona/config.json, or $XDG_DATA_HOME/resona/resona.lance.
// The default provider, local, is built in and needs no network; --provider
// ollama, openai or voyage select a neural model. Run `resona --help` for
// every option. Exit codes: 0 success, 1 failure, 2 wrong command line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/resona-go/resona/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
