package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/resona-go/resona"
	"github.com/resona-go/resona/lance"
)

type maintainFlags struct {
	skipCompact, skipIndex, skipCleanup bool
	retentionDays                       int
	targetRows                          int
	staleThreshold                      float64
	reindex                             bool
	keepIDs                             string
	dryRun                              bool
	verbose                             bool
}

func (a *app) maintainCommand() *cobra.Command {
	var f maintainFlags
	cmd := &cobra.Command{
		Use:   "maintain [flags]",
		Short: "Compact fragments, refresh the vector index and remove old versions",
		Long: fmt.Sprintf(`Keep the table fast and small. In order:

  1. compaction: merge fragments smaller than --target-rows and drop deleted
     rows for good;
  2. index: rebuild the vector index when more than --stale-threshold of the
     rows are not covered by it, or create it once the table is large enough;
     --reindex builds it anew in any case (it needs at least %d rows to train
     on: on a smaller table maintain fails without compacting or cleaning up);
  3. cleanup: remove versions older than --retention-days and the files only
     they use. The current version is never removed.

--keep-ids FILE first removes every embedding whose item id is not listed in
FILE (one id per line, # comments allowed, or the JSON Lines file given to
generate; - for standard input): the way to drop notes deleted at the source.
--dry-run shows what would happen and writes nothing. Running maintain twice in a row is safe; the second run does nothing.`, resona.MinTrainingRows),
		Example: `  resona embed maintain
  resona embed maintain --dry-run
  resona embed maintain --retention-days 0 --keep-ids current-ids.txt
  resona embed maintain --skip-compact --reindex --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := noArgs(cmd, args); err != nil {
				return err
			}
			switch {
			case f.retentionDays < 0:
				return usagef("--retention-days must be 0 or more")
			case f.targetRows < 0:
				return usagef("--target-rows must be positive")
			case f.staleThreshold <= 0 || f.staleThreshold >= 1:
				return usagef("--stale-threshold must be a fraction above 0 and below 1, like 0.1 for 10%% (--reindex rebuilds regardless)")
			case f.reindex && f.skipIndex:
				return usagef("--reindex and --skip-index contradict each other")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runMaintain(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.skipCompact, "skip-compact", false, "do not merge fragments")
	fl.BoolVar(&f.skipIndex, "skip-index", false, "do not touch the vector index")
	fl.BoolVar(&f.skipCleanup, "skip-cleanup", false, "keep old versions")
	fl.IntVar(&f.retentionDays, "retention-days", resona.DefaultRetentionDays, "remove versions older than this many days (0 keeps only the current one)")
	fl.IntVar(&f.targetRows, "target-rows", resona.DefaultTargetRowsPerFragment, "rows per fragment compaction merges up to")
	fl.Float64Var(&f.staleThreshold, "stale-threshold", resona.DefaultIndexStaleThreshold, "rebuild the index when more than this share of rows is unindexed")
	fl.BoolVar(&f.reindex, "reindex", false, "build the vector index anew, however fresh it is")
	fl.StringVar(&f.keepIDs, "keep-ids", "", "first remove embeddings whose item id is not listed in this file")
	fl.BoolVar(&f.dryRun, "dry-run", false, "show the plan; write nothing")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "print every progress event and full before/after figures")
	return cmd
}

// maintainReport is the --json output of maintain.
type maintainReport struct {
	DryRun      bool                  `json:"dryRun"`
	Table       string                `json:"table"`
	Before      *tableStats           `json:"before"`
	After       *tableStats           `json:"after,omitempty"`
	KeepIDs     *keepIDsReport        `json:"keepIds,omitempty"`
	Steps       []stepJSON            `json:"steps"`
	Compaction  *compactionJSON       `json:"compaction,omitempty"`
	Index       indexStepJSON         `json:"index"`
	Cleanup     *resona.CleanupResult `json:"cleanup,omitempty"`
	BytesSaved  int64                 `json:"bytesSaved"`
	NothingToDo bool                  `json:"nothingToDo"`
	DurationMS  int64                 `json:"durationMs"`
}

type keepIDsReport struct {
	File         string `json:"file"`
	Listed       int    `json:"listed"`
	ItemsRemoved int    `json:"itemsRemoved"`
}

type stepJSON struct {
	Name      string `json:"name"`
	Ran       bool   `json:"ran"`
	Changed   bool   `json:"changed"`
	Details   string `json:"details"`
	ElapsedMS int64  `json:"elapsedMs"`
}

type compactionJSON struct {
	FragmentsRemoved int      `json:"fragmentsRemoved"`
	FilesCreated     int      `json:"filesCreated"`
	RowsRewritten    uint64   `json:"rowsRewritten"`
	FragmentsSkipped int      `json:"fragmentsSkipped"`
	SkipReasons      []string `json:"skipReasons,omitempty"`
}

type indexStepJSON struct {
	Rebuilt          bool   `json:"rebuilt"`
	Created          bool   `json:"created"`
	Unavailable      string `json:"unavailable,omitempty"`
	NumIndexedRows   *int64 `json:"numIndexedRows,omitempty"`
	NumUnindexedRows *int64 `json:"numUnindexedRows,omitempty"`
}

func (a *app) runMaintain(ctx context.Context, f maintainFlags) error {
	start := time.Now()
	var keep []string
	if f.keepIDs != "" {
		var err error
		if keep, err = a.readKeepIDs(f.keepIDs); err != nil {
			return err
		}
	}
	opts := resona.MaintenanceOptions{
		SkipCompaction:        f.skipCompact,
		SkipIndex:             f.skipIndex,
		SkipCleanup:           f.skipCleanup,
		RetentionDays:         resona.Days(f.retentionDays),
		TargetRowsPerFragment: f.targetRows,
		IndexStaleThreshold:   f.staleThreshold,
		RebuildIndex:          f.reindex,
		DryRun:                f.dryRun,
	}
	// The diagnostics before and after count small fragments, staleness
	// and reclaimable versions with the settings of this run.
	svcOpts := resona.Options{
		RetentionDays:         resona.Days(f.retentionDays),
		TargetRowsPerFragment: f.targetRows,
		IndexStaleThreshold:   f.staleThreshold,
	}
	svc, err := a.openTableService(ctx, f.dryRun, svcOpts)
	if err != nil {
		return err
	}
	defer svc.Close()

	out := a.stdout
	if a.jsonOut {
		out = io.Discard
	}
	before, err := a.diagnose(ctx, svc)
	if err != nil {
		return err
	}
	rep := &maintainReport{DryRun: f.dryRun, Table: svc.TablePath(), Before: before}
	if f.dryRun {
		fmt.Fprintf(out, "Maintenance plan for %s (dry run: nothing is written)\n", svc.TablePath())
	} else {
		fmt.Fprintf(out, "Maintaining %s\n", svc.TablePath())
	}
	fmt.Fprintf(out, "Before: %s\n", summaryLine(before))

	if keep != nil {
		kr, err := a.applyKeepIDs(ctx, svc, keep, f.dryRun)
		if err != nil {
			return err
		}
		kr.File = f.keepIDs
		rep.KeepIDs = kr
		verb := "removed"
		if f.dryRun {
			verb = "would remove"
		}
		fmt.Fprintf(out, "keep-ids: %d ids listed; %s %s not listed\n", kr.Listed, verb, plural(int64(kr.ItemsRemoved), "item", "items"))
	}

	opts.OnProgress = func(step, details string) {
		if f.verbose || !a.jsonOut {
			fmt.Fprintf(a.stderr, "› %s: %s\n", step, details)
		}
	}
	res, err := svc.Maintain(ctx, opts)
	if res != nil {
		fillSteps(rep, res)
		printSteps(out, rep, f.verbose)
	}
	if err != nil {
		return maintainHint(err)
	}
	if !f.dryRun {
		after, err := a.diagnose(ctx, svc)
		if err != nil {
			return err
		}
		rep.After = after
		rep.BytesSaved = int64(before.DiskBytes) - int64(after.DiskBytes)
		fmt.Fprintf(out, "After:  %s\n", summaryLine(after))
		if f.verbose {
			printBeforeAfter(out, before, after)
		}
		sizes := humanBytes(int64(before.DiskBytes)) + " → " + humanBytes(int64(after.DiskBytes))
		switch {
		case rep.BytesSaved >= 0:
			fmt.Fprintf(out, "Saved %s on disk (%s)", humanBytes(rep.BytesSaved), sizes)
		case rep.Cleanup == nil:
			// Compaction writes new files; the old ones stay until a
			// cleanup removes the versions that use them.
			fmt.Fprintf(out, "Disk use grew by %s (%s) until old versions are cleaned up", humanBytes(-rep.BytesSaved), sizes)
		default:
			fmt.Fprintf(out, "Disk use grew by %s (%s): new index files, or versions within --retention-days kept", humanBytes(-rep.BytesSaved), sizes)
		}
	} else {
		var freed uint64
		if res.Cleanup != nil {
			freed = res.Cleanup.BytesRemoved
		}
		rep.BytesSaved = int64(freed)
		fmt.Fprintf(out, "Cleanup would free %s", humanBytes(int64(freed)))
	}
	rep.NothingToDo = res.NothingToDo && (rep.KeepIDs == nil || rep.KeepIDs.ItemsRemoved == 0)
	rep.DurationMS = time.Since(start).Milliseconds()
	if rep.NothingToDo {
		fmt.Fprint(out, "; the table was already in shape")
	}
	fmt.Fprintf(out, "; done in %s\n", time.Since(start).Round(time.Millisecond))
	if a.jsonOut {
		return writeJSON(a.stdout, rep)
	}
	return nil
}

// readKeepIDs reads one id per line; blank lines and # comments are
// skipped. An empty list is refused: it would remove every embedding.
func (a *app) readKeepIDs(path string) ([]string, error) {
	var r io.Reader = a.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--keep-ids: %w", err)
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	ids := []string{}
	line := 0
	for sc.Scan() {
		line++
		id := strings.TrimSpace(sc.Text())
		if id == "" || strings.HasPrefix(id, "#") {
			continue
		}
		if strings.HasPrefix(id, "{") {
			// A JSON Lines item, as given to generate: keep its id.
			var rec struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal([]byte(id), &rec); err != nil || rec.ID == "" {
				return nil, fmt.Errorf("--keep-ids %s:%d: a line starting with { must be a JSON object with an \"id\"", path, line)
			}
			id = rec.ID
		}
		ids = append(ids, id)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--keep-ids %s: %w", path, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("--keep-ids %s lists no ids; refusing to remove every embedding (give the ids to keep, one per line)", path)
	}
	return ids, nil
}

// applyKeepIDs removes (or, dry, counts) the items not in keep.
func (a *app) applyKeepIDs(ctx context.Context, svc *resona.EmbeddingService, keep []string, dryRun bool) (*keepIDsReport, error) {
	kr := &keepIDsReport{Listed: len(keep)}
	if !dryRun {
		n, err := svc.Cleanup(ctx, keep)
		if err != nil {
			return nil, fmt.Errorf("--keep-ids: %w", err)
		}
		kr.ItemsRemoved = n
		return kr, nil
	}
	set := make(map[string]bool, len(keep))
	for _, id := range keep {
		set[id] = true
	}
	for id, err := range svc.EmbeddedIDs(ctx) {
		if err != nil {
			return nil, fmt.Errorf("--keep-ids: %w", err)
		}
		if !set[id] {
			kr.ItemsRemoved++
		}
	}
	return kr, nil
}

func fillSteps(rep *maintainReport, res *resona.MaintenanceResult) {
	for _, s := range res.Steps {
		rep.Steps = append(rep.Steps, stepJSON{Name: s.Name, Ran: s.Ran, Changed: s.Changed, Details: s.Details, ElapsedMS: s.Elapsed.Milliseconds()})
	}
	if c := res.Compaction; c != nil {
		rep.Compaction = &compactionJSON{FragmentsRemoved: c.FragmentsRemoved, FilesCreated: c.FilesCreated,
			RowsRewritten: c.RowsRewritten, FragmentsSkipped: c.FragmentsSkipped, SkipReasons: c.SkipReasons}
	}
	rep.Index = indexStepJSON{Rebuilt: res.IndexRebuilt, Created: res.IndexCreated, Unavailable: res.IndexUnavailable}
	if ix := res.IndexStats; ix != nil {
		rep.Index.NumIndexedRows, rep.Index.NumUnindexedRows = &ix.NumIndexedRows, &ix.NumUnindexedRows
	}
	rep.Cleanup = res.Cleanup
}

func printSteps(w io.Writer, rep *maintainReport, verbose bool) {
	for _, s := range rep.Steps {
		mark := "✓"
		switch {
		case !s.Ran:
			mark = "–"
		case !s.Changed:
			mark = "·"
		}
		line := fmt.Sprintf("  %s %-10s %s", mark, s.Name, s.Details)
		if s.Ran && verbose {
			line += fmt.Sprintf(" (%s)", (time.Duration(s.ElapsedMS) * time.Millisecond).String())
		}
		fmt.Fprintln(w, line)
	}
	if c := rep.Compaction; verbose && c != nil && len(c.SkipReasons) > 0 {
		for _, r := range c.SkipReasons {
			fmt.Fprintf(w, "    left alone: %s\n", r)
		}
	}
}

// summaryLine is the one-line state used for before and after.
func summaryLine(st *tableStats) string {
	ix := "none"
	if st.Index != nil {
		ix = fmt.Sprintf("%.1f%% stale", st.Index.StalePercent)
		if st.Index.NeedsRebuild {
			ix += ", needs rebuild"
		}
	}
	return fmt.Sprintf("%d rows, %s, %s, %s, index %s",
		st.Rows, humanBytes(int64(st.DiskBytes)), plural(int64(st.Fragments), "fragment", "fragments"),
		plural(int64(st.Versions), "version", "versions"), ix)
}

func printBeforeAfter(w io.Writer, before, after *tableStats) {
	t := newTable(w, "", "Before", "After")
	b, a := statsRows(before), statsRows(after)
	for i := range b {
		_ = t.Append([]string{b[i][0], b[i][1], a[i][1]})
	}
	_ = t.Render()
}

// maintainHint tells how to run the other steps when one is beyond this
// build's engine, and which flag asked for an index the table is too small
// for.
func maintainHint(err error) error {
	if errors.Is(err, resona.ErrTooFewRows) {
		return fmt.Errorf("%w; without --reindex the other steps run", err)
	}
	if !errors.Is(err, lance.ErrUnsupported) {
		return err
	}
	msg := err.Error()
	for _, step := range []struct{ name, flag string }{
		{resona.StepCompaction, "--skip-compact"}, {resona.StepIndex, "--skip-index"}, {resona.StepCleanup, "--skip-cleanup"},
	} {
		if strings.Contains(msg, "maintain: "+step.name+":") {
			return fmt.Errorf("%w (run again with %s to do the other steps)", err, step.flag)
		}
	}
	return err
}
