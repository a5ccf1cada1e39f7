package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/resona-go/resona"
)

type generateFlags struct {
	dir            string
	force          bool
	storeBatchSize int
}

func (a *app) generateCommand() *cobra.Command {
	var f generateFlags
	cmd := &cobra.Command{
		Use:   "generate [FILE | -] [--dir DIR]",
		Short: "Embed items from JSON Lines or a folder of text and Markdown files",
		Long: `Embed items and store their vectors in the table.

Items come from a JSON Lines file (or standard input with -), one object per
line:

  {"id": "note-1", "text": "…", "contextText": "optional text embedded instead", "metadata": {"any": "object"}}

or, with --dir, from the .md, .markdown, .txt, .rst, .org and .adoc files
under a folder (hidden files skipped), each identified by its relative path.
Long texts are split into overlapping chunks stored as <id>#0, <id>#1, …

Items whose text did not change since they were embedded are skipped
(--force embeds them again).

The default provider, local, is built in and works offline: it matches
shared vocabulary, not meaning. For semantic search run Ollama
(` + "`ollama serve`, `ollama pull nomic-embed-text`" + `) and pass --provider ollama,
or use openai / voyage with OPENAI_API_KEY / VOYAGE_API_KEY.`,
		Example: `  resona embed generate notes.jsonl
  tana-export | resona embed generate -
  resona embed generate --dir ~/notes --provider ollama --model nomic-embed-text`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) > 1:
				return usagef("want one input file, got %d", len(args))
			case len(args) == 1 && f.dir != "":
				return usagef("give either an input file or --dir, not both")
			case len(args) == 0 && f.dir == "":
				return usagef("missing input: give a JSON Lines file, - for standard input, or --dir DIR")
			case f.storeBatchSize < 0:
				return usagef("--store-batch-size must be positive")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runGenerate(cmd, args, f)
		},
	}
	a.addProviderFlags(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", "", "embed the text and Markdown files under this folder")
	fl.BoolVar(&f.force, "force", false, "embed every item again, even when its text did not change")
	fl.IntVar(&f.storeBatchSize, "store-batch-size", 0, fmt.Sprintf("rows buffered before each write; larger means fewer fragments (default %d)", resona.DefaultStoreBatchSize))
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}

// generateSummary is the --json output of generate.
type generateSummary struct {
	Items      int           `json:"items"`
	Embedded   int           `json:"embedded"`
	Skipped    int           `json:"skipped"`
	Errors     int           `json:"errors"`
	Stored     int           `json:"storedRows"`
	Removed    int           `json:"removedRows"`
	Samples    []errorSample `json:"errorSamples,omitempty"`
	Provider   string        `json:"provider"`
	Model      string        `json:"model"`
	Dimensions int           `json:"dimensions"`
	Table      string        `json:"table"`
	DurationMS int64         `json:"durationMs"`
}

type errorSample struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

func (a *app) runGenerate(cmd *cobra.Command, args []string, f generateFlags) error {
	ctx := cmd.Context()
	start := time.Now()
	var items []inputItem
	var err error
	switch {
	case f.dir != "":
		items, err = readDir(f.dir, func(msg string) { fmt.Fprintln(a.stderr, "warning:", msg) })
	case args[0] == "-":
		items, err = readJSONL(a.stdin, "stdin")
	default:
		var file *os.File
		file, err = os.Open(args[0])
		if err != nil {
			return fmt.Errorf("input: %w", err)
		}
		defer file.Close()
		items, err = readJSONL(file, args[0])
	}
	if err != nil {
		return err
	}
	a.logger.Debug("input read", "items", len(items))

	p, err := a.newProvider(ctx)
	if err != nil {
		return err
	}
	if err := checkProvider(ctx, p); err != nil {
		return err
	}
	svc, err := a.openService(ctx, p, false)
	if err != nil {
		return err
	}
	defer svc.Close()

	batch := make([]resona.Item, len(items))
	for i, it := range items {
		batch[i] = resona.Item{ID: it.ID, Text: it.Text, ContextText: it.ContextText, Metadata: it.Metadata}
	}
	if !a.jsonOut {
		fmt.Fprintf(a.stderr, "Embedding %s with %s (%s, %d dimensions) into %s\n",
			plural(int64(len(items)), "item", "items"), p.Name(), p.Model(), p.Dimensions(), svc.TablePath())
	}
	var bar counter
	if len(items) > 0 {
		bar = a.newCounter(len(items), "embedding", "items")
	}
	res, err := svc.EmbedBatch(ctx, batch, resona.BatchOptions{
		ForceAll:       f.force,
		StoreBatchSize: f.storeBatchSize,
		OnProgress: func(pr resona.BatchProgress) {
			if bar != nil {
				bar.Set(pr.Processed+pr.Skipped+pr.Errors, pr.Rate)
			}
		},
	})
	if bar != nil {
		bar.Finish()
	}
	sum := generateSummary{
		Items: len(items), Embedded: res.Processed, Skipped: res.Skipped, Errors: res.Errors,
		Stored: res.Stored, Removed: res.Removed, Provider: p.Name(), Model: p.Model(),
		Dimensions: p.Dimensions(), Table: svc.TablePath(), DurationMS: time.Since(start).Milliseconds(),
	}
	for _, s := range res.ErrorSamples {
		sum.Samples = append(sum.Samples, errorSample{ID: s.ID, Error: s.Err.Error()})
	}
	if err != nil {
		if errors.Is(err, ctx.Err()) || res.Stored > 0 {
			fmt.Fprintf(a.stderr, "stopped after storing %s of %s\n", plural(int64(res.Processed), "item", "items"), plural(int64(len(items)), "item", "items"))
		}
		return err
	}
	if a.jsonOut {
		if err := writeJSON(a.stdout, sum); err != nil {
			return err
		}
	} else {
		printGenerateSummary(a.stdout, sum)
	}
	if res.Errors > 0 {
		// The others are stored; a non-zero exit still tells scripts.
		return fmt.Errorf("%s of %d could not be embedded; first: %s: %s",
			plural(int64(res.Errors), "item", "items"), len(items), sum.Samples[0].ID, oneLine(sum.Samples[0].Error))
	}
	return nil
}

func printGenerateSummary(w io.Writer, s generateSummary) {
	fmt.Fprintf(w, "Embedded %d, skipped %d unchanged, %d errors (%s stored) in %s\n",
		s.Embedded, s.Skipped, s.Errors, plural(int64(s.Stored), "row", "rows"),
		(time.Duration(s.DurationMS) * time.Millisecond).Round(10*time.Millisecond))
	for _, e := range s.Samples {
		fmt.Fprintf(w, "  error: %s: %s\n", e.ID, oneLine(e.Error))
	}
	if s.Errors > len(s.Samples) {
		fmt.Fprintf(w, "  … and %d more errors\n", s.Errors-len(s.Samples))
	}
}
