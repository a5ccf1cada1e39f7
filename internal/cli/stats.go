package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/spf13/cobra"

	"github.com/resona-go/resona"
	"github.com/resona-go/resona/lance"
)

func (a *app) statsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "stats [--json]",
		Short: "Show the health of the embeddings table without changing it",
		Long: `Show the table's health: rows, model and dimensions, disk size, fragments
(small ones slow searches down until compaction merges them), deleted rows,
versions on disk, vector index coverage (rows added since the index was built
are searched exactly; above 10% the index needs a rebuild) and the space a
cleanup of old versions would reclaim. Nothing is written.
` + "`resona embed maintain`" + ` fixes what this reports.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.collectStats(ctx)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return writeJSON(a.stdout, st)
			}
			return printStats(a.stdout, st)
		},
	}
}

// tableStats is what stats prints: the service's diagnostics plus what the
// table says about its models.
type tableStats struct {
	Table                      string     `json:"table"`
	Rows                       int64      `json:"rows"`
	Models                     []string   `json:"models"`
	Dimensions                 int        `json:"dimensions"`
	Version                    uint64     `json:"version"`
	DiskBytes                  uint64     `json:"diskBytes"`
	Fragments                  int        `json:"fragments"`
	SmallFragments             int        `json:"smallFragments"`
	CompactableFragments       int        `json:"compactableFragments"`
	DeletedRows                uint64     `json:"deletedRows"`
	FragmentsWithDeletions     int        `json:"fragmentsWithDeletions"`
	Versions                   int        `json:"versions"`
	OldestVersion              uint64     `json:"oldestVersion"`
	OldestVersionAgeSeconds    float64    `json:"oldestVersionAgeSeconds"`
	Index                      *indexJSON `json:"index"`
	IDIndex                    bool       `json:"idIndex"`
	ReclaimableBytes           uint64     `json:"reclaimableBytes"`
	ReclaimableVersions        int        `json:"reclaimableVersions"`
	CompactionReclaimableBytes uint64     `json:"compactionReclaimableBytes"`
	RetentionDays              int        `json:"retentionDays"`
	TargetRowsPerFragment      int        `json:"targetRowsPerFragment"`
	oldestAge                  time.Duration
}

type indexJSON struct {
	Name             string  `json:"name"`
	NumIndexedRows   int64   `json:"numIndexedRows"`
	NumUnindexedRows int64   `json:"numUnindexedRows"`
	StalePercent     float64 `json:"stalePercent"`
	NeedsRebuild     bool    `json:"needsRebuild"`
	Segments         int     `json:"segments"`
}

func (a *app) collectStats(ctx context.Context) (*tableStats, error) {
	svc, err := a.openTableService(ctx, true, resona.Options{})
	if err != nil {
		return nil, err
	}
	defer svc.Close()
	return a.diagnose(ctx, svc)
}

// diagnose reads the service's diagnostics and the models in the table.
func (a *app) diagnose(ctx context.Context, svc *resona.EmbeddingService) (*tableStats, error) {
	d, err := svc.GetDiagnostics(ctx)
	if err != nil {
		return nil, err
	}
	st := fromDiagnostics(d)
	st.Dimensions = svc.Provider().Dimensions()
	ds, err := lance.Open(ctx, d.TablePath, lance.WithVersion(d.Version))
	if err != nil {
		return nil, err
	}
	defer ds.Close()
	st.Models, err = tableModels(ctx, ds)
	return st, err
}

func fromDiagnostics(d *resona.DatabaseDiagnostics) *tableStats {
	st := &tableStats{
		Table: d.TablePath, Rows: d.TotalRows, Version: d.Version, DiskBytes: d.DiskBytes,
		Fragments: d.Fragments, SmallFragments: d.SmallFragments, CompactableFragments: d.CompactableFragments,
		DeletedRows: d.DeletedRows, FragmentsWithDeletions: d.DeletionFiles, Versions: d.Versions,
		OldestVersion: d.OldestVersion, OldestVersionAgeSeconds: d.OldestVersionAge.Seconds(),
		IDIndex: d.IDIndex, ReclaimableBytes: d.ReclaimableBytes, ReclaimableVersions: d.ReclaimableVersions,
		CompactionReclaimableBytes: d.CompactionReclaimableBytes, RetentionDays: d.RetentionDays,
		TargetRowsPerFragment: d.TargetRowsPerFragment, oldestAge: d.OldestVersionAge, Models: []string{},
	}
	if ix := d.Index; ix != nil {
		st.Index = &indexJSON{Name: ix.Name, NumIndexedRows: ix.NumIndexedRows, NumUnindexedRows: ix.NumUnindexedRows,
			StalePercent: ix.StalePercent, NeedsRebuild: ix.NeedsRebuild, Segments: ix.Segments}
	}
	return st
}

// tableModels lists the distinct models named in the model column.
func tableModels(ctx context.Context, ds *lance.Dataset) ([]string, error) {
	if _, ok := ds.Schema().FieldsByName("model"); !ok {
		return []string{}, nil
	}
	seen := map[string]bool{}
	for rec, err := range ds.Scan(ctx, lance.ScanOptions{Columns: []string{"model"}}) {
		if err != nil {
			return nil, err
		}
		col, ok := rec.Column(0).(*array.String)
		if !ok {
			return []string{}, nil
		}
		for i := range col.Len() {
			if col.IsValid(i) && col.Value(i) != "" {
				seen[col.Value(i)] = true
			}
		}
	}
	models := make([]string, 0, len(seen))
	for m := range seen {
		models = append(models, m)
	}
	sort.Strings(models)
	return models, nil
}

func printStats(w io.Writer, st *tableStats) error {
	t := newTable(w, "Table", st.Table)
	for _, r := range statsRows(st) {
		_ = t.Append(r)
	}
	return t.Render()
}

func statsRows(st *tableStats) [][]string {
	models := "(none recorded)"
	if len(st.Models) > 0 {
		models = strings.Join(st.Models, ", ")
	}
	frag := fmt.Sprintf("%d (%d small, %d to compact)", st.Fragments, st.SmallFragments, st.CompactableFragments)
	deleted := "0"
	if st.DeletedRows > 0 {
		deleted = fmt.Sprintf("%s in %s", plural(int64(st.DeletedRows), "row", "rows"), plural(int64(st.FragmentsWithDeletions), "fragment", "fragments"))
	}
	versions := strconv.Itoa(st.Versions)
	if st.Versions > 1 {
		versions += fmt.Sprintf(" (oldest v%d, %s old)", st.OldestVersion, humanAge(st.oldestAge))
	}
	idIndex := "no"
	if st.IDIndex {
		idIndex = "yes"
	}
	reclaim := fmt.Sprintf("%s by cleanup (%s older than %d days)", humanBytes(int64(st.ReclaimableBytes)),
		plural(int64(st.ReclaimableVersions), "version", "versions"), st.RetentionDays)
	if st.CompactionReclaimableBytes > 0 {
		reclaim += fmt.Sprintf("; ~%s of deleted rows by compaction", humanBytes(int64(st.CompactionReclaimableBytes)))
	}
	return [][]string{
		{"Rows", strconv.FormatInt(st.Rows, 10)},
		{"Model", models},
		{"Dimensions", strconv.Itoa(st.Dimensions)},
		{"Version", strconv.FormatUint(st.Version, 10)},
		{"Disk size", humanBytes(int64(st.DiskBytes))},
		{"Fragments", frag},
		{"Deleted rows", deleted},
		{"Versions", versions},
		{"Vector index", indexHealth(st.Index)},
		{"ID index", idIndex},
		{"Reclaimable", reclaim},
	}
}

// indexHealth is the one-line state of the vector index.
func indexHealth(ix *indexJSON) string {
	if ix == nil {
		return "none (searches scan every row)"
	}
	state := "healthy"
	if ix.NeedsRebuild {
		state = "needs rebuild"
	}
	return fmt.Sprintf("%s: %d indexed, %d unindexed (%.1f%% stale) — %s", ix.Name, ix.NumIndexedRows, ix.NumUnindexedRows, ix.StalePercent, state)
}

// humanAge prints a duration in its largest sensible unit.
func humanAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return plural(int64(d.Hours()/24), "day", "days")
	case d >= 2*time.Hour:
		return plural(int64(d.Hours()), "hour", "hours")
	case d >= 2*time.Minute:
		return plural(int64(d.Minutes()), "minute", "minutes")
	default:
		return plural(int64(d.Seconds()), "second", "seconds")
	}
}
