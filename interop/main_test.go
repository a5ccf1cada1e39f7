package interop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Tables are written once per `go test` run, in one directory shared by all
// tests, and removed when the run ends.
var (
	fixtureRoot string
	harness     *Harness
	harnessErr  error
	fixturesMu  sync.Mutex
	fixtures    = map[string]*fixtureOnce{}
)

func TestMain(m *testing.M) {
	if os.Getenv(SkipEnv) == "skip" {
		fmt.Fprintf(os.Stderr, "interop: skipped: %s=skip (no comparison with LanceDB was made)\n", SkipEnv)
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "resona-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(1)
	}
	fixtureRoot = dir
	harness, harnessErr = Locate()
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireHarness skips only on an explicit RESONA_INTEROP=skip and fails
// otherwise when Node or the pinned LanceDB releases are missing.
func requireHarness(t *testing.T) *Harness {
	t.Helper()
	if os.Getenv(SkipEnv) == "skip" {
		t.Skipf("interop skipped: %s=skip", SkipEnv)
	}
	if harnessErr != nil {
		t.Fatal(harnessErr)
	}
	return harness
}

// Fixture is one table written by LanceDB plus LanceDB's dumps of it at the
// latest and at an older version.
type Fixture struct {
	Version string // LanceDB version folder suffix: "0.13" or "0.39"
	Summary *WriteSummary
	Latest  *Dump
	Older   *Dump
}

type fixtureOnce struct {
	once sync.Once
	fx   *Fixture
	err  error
}

// fixture writes (once per run) the scenario with LanceDB <version> and
// dumps it at the latest and the older version.
func fixture(t *testing.T, version, scenario string) *Fixture {
	t.Helper()
	h := requireHarness(t)
	key := version + "/" + scenario
	fixturesMu.Lock()
	f := fixtures[key]
	if f == nil {
		f = &fixtureOnce{}
		fixtures[key] = f
	}
	fixturesMu.Unlock()
	f.once.Do(func() { f.fx, f.err = buildFixture(h, version, scenario) })
	if f.err != nil {
		t.Fatalf("LanceDB %s %s: %v", version, scenario, f.err)
	}
	return f.fx
}

func buildFixture(h *Harness, version, scenario string) (*Fixture, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dbDir := filepath.Join(fixtureRoot, version, scenario)
	sum, err := h.Write(ctx, version, dbDir, scenario)
	if err != nil {
		return nil, err
	}
	opts := DumpOptions{VectorColumn: sum.VectorColumn, IDColumn: sum.IDColumn, Filters: filterSQL(scenarioFilters(scenario))}
	latest, err := h.Dump(ctx, version, dbDir, sum.Table, filepath.Join(dbDir, "latest.json"), opts)
	if err != nil {
		return nil, err
	}
	opts.Version = sum.OlderVersion
	older, err := h.Dump(ctx, version, dbDir, sum.Table, filepath.Join(dbDir, "older.json"), opts)
	if err != nil {
		return nil, err
	}
	return &Fixture{Version: version, Summary: sum, Latest: latest, Older: older}, nil
}

// Scenarios written by write.mjs.
var scenarios = []string{"resona", "resona-optimized", "types", "deletes", "wide"}

// TestHarness checks the harness itself against facts the scenarios fix, so
// that a broken script cannot make the comparisons vacuous.
func TestHarness(t *testing.T) {
	for _, v := range Versions {
		t.Run(v, func(t *testing.T) {
			fx := fixture(t, v, "deletes")
			if want := "0." + v[2:] + ".0"; fx.Latest.LanceDB != want {
				t.Errorf("LanceDB package version %q, want %q", fx.Latest.LanceDB, want)
			}
			// 20000 + 1000 + 10 rows written; deleted: 6000, 3, 1, the 10
			// of the last fragment, and the 10 multiples of 97 in
			// 20000..20999 (97 × 207 = 20079 … 97 × 216 = 20952).
			if got, want := fx.Latest.CountRows, int64(21010-6000-3-1-10-10); got != want {
				t.Errorf("count_rows %d, want %d", got, want)
			}
			if got := int64(len(fx.Latest.Rows)); got != fx.Latest.CountRows {
				t.Errorf("%d rows dumped, count_rows %d", got, fx.Latest.CountRows)
			}
			if len(fx.Latest.Searches) != 9 {
				t.Errorf("%d searches dumped, want 9", len(fx.Latest.Searches))
			}
			if fx.Older.Version != fx.Summary.OlderVersion || fx.Older.CountRows != 21000-6000 {
				t.Errorf("older dump: version %d rows %d, want version %d rows 15000",
					fx.Older.Version, fx.Older.CountRows, fx.Summary.OlderVersion)
			}
		})
	}
}
