package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// grow embeds the corpus in three runs, then re-embeds one item with a new
// text: several fragments, several versions and a deleted row.
func grow(t *testing.T, e *env) {
	t.Helper()
	all := strings.Split(strings.TrimSpace(jsonl(t)), "\n")
	for _, part := range [][]string{all[:4], all[4:8], all[8:]} {
		e.dbRun(strings.Join(part, "\n")+"\n", "embed", "generate", "-").mustOK(t)
	}
	e.dbRun(`{"id": "sort", "text": "Package slices sorts and searches slices of any ordered type."}`+"\n", "embed", "generate", "-").mustOK(t)
}

// snapshot lists every file of a table with its size and modification time.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			files[rel+"/"] = "dir"
			return nil
		}
		files[rel] = fmt.Sprintf("%d bytes, %s", info.Size(), info.ModTime().Format(time.RFC3339Nano))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sameFiles(t *testing.T, before, after map[string]string) {
	t.Helper()
	for name, b := range before {
		if a, ok := after[name]; !ok {
			t.Errorf("%s was removed", name)
		} else if a != b {
			t.Errorf("%s changed: %s → %s", name, b, a)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("%s was created", name)
		}
	}
}

func decodeReport(t *testing.T, r result) maintainReport {
	t.Helper()
	var rep maintainReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("maintain --json: %v\n%s", err, r.stdout)
	}
	return rep
}

func TestMaintainDryRunWritesNothing(t *testing.T) {
	e := newEnv(t)
	grow(t, e)
	keep := filepath.Join(t.TempDir(), "keep.txt")
	var ids []string
	for _, c := range corpus {
		if c.id != "gzip" && c.id != "tar" {
			ids = append(ids, c.id)
		}
	}
	if err := os.WriteFile(keep, []byte("# items still at the source\n"+strings.Join(ids, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e.db)
	// Files written in the same clock tick as the dry run would hide a
	// rewrite with an equal mtime; wait for the clock to move.
	time.Sleep(20 * time.Millisecond)
	r := e.dbRun("", "embed", "maintain", "--dry-run", "--retention-days", "0", "--keep-ids", keep, "--json").mustOK(t)
	sameFiles(t, before, snapshot(t, e.db))
	rep := decodeReport(t, r)
	if !rep.DryRun || rep.After != nil {
		t.Errorf("dry run report: dryRun %v, after %+v", rep.DryRun, rep.After)
	}
	if rep.KeepIDs == nil || rep.KeepIDs.ItemsRemoved != 2 || rep.KeepIDs.Listed != len(ids) {
		t.Errorf("keep-ids plan %+v, want 2 items to remove", rep.KeepIDs)
	}
	if rep.Compaction == nil || rep.Compaction.FragmentsRemoved < 2 {
		t.Errorf("compaction plan %+v, want fragments to merge", rep.Compaction)
	}
	if rep.Cleanup == nil || rep.Cleanup.VersionsRemoved == 0 {
		t.Errorf("cleanup plan %+v, want old versions to remove", rep.Cleanup)
	}
	if rep.NothingToDo {
		t.Error("a dry run on an unmaintained table says nothing to do")
	}
	// Text output says it is a plan; still nothing written.
	r = e.dbRun("", "embed", "maintain", "--dry-run", "--retention-days", "0").mustOK(t)
	for _, want := range []string{"dry run", "Before:", "would merge", "Cleanup would free"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, r.stdout)
		}
	}
	e.dbRun("", "embed", "stats").mustOK(t)
	sameFiles(t, before, snapshot(t, e.db))
}

func TestMaintain(t *testing.T) {
	e := newEnv(t)
	grow(t, e)
	st := e.statsJSON()
	if st.Fragments < 3 || st.Versions < 4 {
		t.Fatalf("grown table: %d fragments, %d versions; want several", st.Fragments, st.Versions)
	}
	keep := filepath.Join(t.TempDir(), "keep.txt")
	var ids []string
	for _, c := range corpus {
		if c.id != "gzip" {
			ids = append(ids, c.id)
		}
	}
	var keepLines []string
	for i, id := range ids {
		if i%2 == 0 {
			id = fmt.Sprintf(`{"id": %q, "text": "lines of the generate input work too"}`, id)
		}
		keepLines = append(keepLines, id)
	}
	if err := os.WriteFile(keep, []byte(strings.Join(keepLines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.dbRun("", "embed", "maintain", "--retention-days", "0", "--keep-ids", keep, "--json").mustOK(t)
	rep := decodeReport(t, r)
	if rep.KeepIDs == nil || rep.KeepIDs.ItemsRemoved != 1 {
		t.Errorf("keep-ids: %+v, want 1 item removed", rep.KeepIDs)
	}
	if rep.Before.Rows != st.Rows || rep.After == nil || rep.After.Rows != st.Rows-1 {
		t.Errorf("rows: before %d, after %+v; want %d then %d", rep.Before.Rows, rep.After, st.Rows, st.Rows-1)
	}
	if rep.After.Fragments >= rep.Before.Fragments {
		t.Errorf("fragments %d → %d: compaction merged nothing", rep.Before.Fragments, rep.After.Fragments)
	}
	if rep.After.Versions != 1 || rep.After.DeletedRows != 0 {
		t.Errorf("after: %d versions, %d deleted rows; want 1 and 0", rep.After.Versions, rep.After.DeletedRows)
	}
	if rep.BytesSaved != int64(rep.Before.DiskBytes)-int64(rep.After.DiskBytes) {
		t.Errorf("bytes saved %d, disk %d → %d", rep.BytesSaved, rep.Before.DiskBytes, rep.After.DiskBytes)
	}
	names := map[string]bool{}
	for _, s := range rep.Steps {
		names[s.Name] = true
	}
	if !names["compaction"] || !names["index"] || !names["cleanup"] {
		t.Errorf("steps %+v", rep.Steps)
	}
	// gzip is gone; the rest is still found.
	r = e.dbRun("", "embed", "search", "--json", "-k", "20", "compress data with gzip").mustOK(t)
	if strings.Contains(r.stdout, `"id": "gzip"`) || !strings.Contains(r.stdout, `"id": "tar"`) {
		t.Errorf("search after keep-ids:\n%s", r.stdout)
	}
	// A second run has nothing to do.
	r = e.dbRun("", "embed", "maintain", "--retention-days", "0", "--json").mustOK(t)
	if rep := decodeReport(t, r); !rep.NothingToDo {
		t.Errorf("second maintain did something: %+v", rep.Steps)
	}
	// Text output: before, after, each step, saved bytes.
	r = e.dbRun("", "embed", "maintain", "--skip-compact", "--skip-index", "-v").mustOK(t)
	for _, want := range []string{"Before:", "After:", "– compaction skipped", "– index      skipped", "cleanup", "Saved", "already in shape"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("maintain output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "› cleanup:") {
		t.Errorf("no progress on stderr:\n%s", r.stderr)
	}
	// An empty keep list is refused rather than emptying the table.
	empty := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(empty, []byte("# nothing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.dbRun("", "embed", "maintain", "--keep-ids", empty).oneErrorLine(t, ExitError, "no ids")
}

func (e *env) statsJSON() tableStats {
	e.t.Helper()
	r := e.dbRun("", "embed", "stats", "--json").mustOK(e.t)
	var st tableStats
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		e.t.Fatalf("stats --json: %v\n%s", err, r.stdout)
	}
	return st
}

var (
	sizeRe = regexp.MustCompile(`\d+(\.\d+)? (B|KiB|MiB|GiB|bytes)\b`)
	durRe  = regexp.MustCompile(`\bin \d+(\.\d+)?(ns|µs|ms|s)\b`)
	ageRe  = regexp.MustCompile(`\d+ (seconds?|minutes|hours|days) old`)
)

// normalize removes what changes between runs: paths, sizes, ages.
func normalize(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "$DB")
	s = sizeRe.ReplaceAllStringFunc(s, func(m string) string { return fmt.Sprintf("%-*s", len(m), "<size>") })
	s = durRe.ReplaceAllString(s, "in <duration>")
	s = ageRe.ReplaceAllStringFunc(s, func(m string) string { return fmt.Sprintf("%-*s", len(m), "<age> old") })
	return s
}

func TestStatsGolden(t *testing.T) {
	e := newEnv(t)
	grow(t, e)
	r := e.dbRun("", "embed", "stats").mustOK(t)
	checkGolden(t, "stats.golden", normalize(r.stdout, e.db))
	st := e.statsJSON()
	if st.Rows != int64(len(corpus)+1) || st.Dimensions != 512 || len(st.Models) != 1 || st.Models[0] != "resona-local-hash-v1" {
		t.Errorf("stats --json: %+v", st)
	}
	if st.DeletedRows == 0 && st.Fragments < 4 {
		t.Errorf("the re-embedded item left neither a deletion nor a fragment: %+v", st)
	}
	r = e.dbRun("", "embed", "maintain", "--dry-run", "--retention-days", "0").mustOK(t)
	checkGolden(t, "maintain-dry-run.golden", normalize(r.stdout, e.db))
	r = e.dbRun("", "embed", "maintain", "--retention-days", "0").mustOK(t)
	checkGolden(t, "maintain.golden", normalize(r.stdout, e.db))
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	// Widths follow the normalised values; compare cell contents.
	if squash(got) != squash(string(want)) {
		t.Errorf("output differs from %s:\n%s\nwant:\n%s", golden, got, want)
	}
}

// squash collapses runs of spaces and table rule characters.
func squash(s string) string {
	s = regexp.MustCompile(`[─┬┼┴┌┐└┘├┤]+`).ReplaceAllString(s, "-")
	return regexp.MustCompile(` +`).ReplaceAllString(s, " ")
}

// manyItems returns n JSON Lines items with varied vocabulary.
func manyItems(from, n int) string {
	words := []string{"garden", "bread", "river", "engine", "violin", "harbour", "comet", "ledger",
		"orchard", "signal", "glacier", "pottery", "lantern", "circuit", "meadow", "tablet"}
	var b strings.Builder
	for i := from; i < from+n; i++ {
		text := fmt.Sprintf("note %d about %s, %s and %s", i, words[i%16], words[(i/16)%16], words[(i*7)%16])
		fmt.Fprintf(&b, "{\"id\": \"n%d\", \"text\": %q}\n", i, text)
	}
	return b.String()
}

func TestMaintainIndex(t *testing.T) {
	e := newEnv(t)
	e.dbRun(manyItems(0, 300), "embed", "generate", "-").mustOK(t)
	// The first maintain creates the vector index (or says why it cannot).
	rep := decodeReport(t, e.dbRun("", "embed", "maintain", "--json").mustOK(t))
	if rep.Index.Unavailable != "" {
		t.Skipf("the engine builds no vector index: %s", rep.Index.Unavailable)
	}
	if !rep.Index.Created || rep.After.Index == nil || rep.After.Index.NumIndexedRows != 300 {
		t.Fatalf("index step on 300 rows: %+v, after %+v", rep.Index, rep.After.Index)
	}
	// 10 more rows: 3% unindexed, below the 10% threshold.
	e.dbRun(manyItems(300, 10), "embed", "generate", "-").mustOK(t)
	st := e.statsJSON()
	if st.Index == nil || st.Index.NumUnindexedRows != 10 || st.Index.NeedsRebuild {
		t.Fatalf("stats after 10 new rows: %+v", st.Index)
	}
	r := e.dbRun("", "embed", "stats").mustOK(t)
	if !strings.Contains(r.stdout, "300 indexed, 10 unindexed (3.2% stale)") || !strings.Contains(r.stdout, "healthy") {
		t.Errorf("stats index row:\n%s", r.stdout)
	}
	rep = decodeReport(t, e.dbRun("", "embed", "maintain", "--skip-compact", "--json").mustOK(t))
	if rep.Index.Rebuilt {
		t.Errorf("a 3%% stale index was rebuilt without --reindex: %+v", rep.Steps)
	}
	// A lower threshold, or --reindex, rebuilds it.
	files := snapshot(t, e.db)
	time.Sleep(20 * time.Millisecond)
	rep = decodeReport(t, e.dbRun("", "embed", "maintain", "--dry-run", "--retention-days", "0", "--stale-threshold", "0.01", "--json").mustOK(t))
	sameFiles(t, files, snapshot(t, e.db))
	if !rep.Index.Rebuilt {
		t.Errorf("--stale-threshold 0.01 did not plan a rebuild: %+v", rep.Steps)
	}
	rep = decodeReport(t, e.dbRun("", "embed", "maintain", "--skip-compact", "--reindex", "--json").mustOK(t))
	if !rep.Index.Rebuilt || rep.After.Index == nil || rep.After.Index.NumUnindexedRows != 0 || rep.After.Index.NumIndexedRows != 310 {
		t.Errorf("--reindex: %+v, after %+v", rep.Index, rep.After.Index)
	}
	// Searches still find the rows.
	r = e.dbRun("", "embed", "search", "--json", "-k", "5", "note 305 about bread, engine and ledger").mustOK(t)
	if !strings.Contains(r.stdout, `"id": "n305"`) {
		t.Errorf("search after reindex:\n%s", r.stdout)
	}
}

func TestMaintainReindex(t *testing.T) {
	e := newEnv(t)
	// Too small to train an index: --reindex fails in one line and
	// writes nothing, not even the compaction it would otherwise do.
	e.dbRun(manyItems(0, 100), "embed", "generate", "-").mustOK(t)
	e.dbRun(manyItems(100, 100), "embed", "generate", "-").mustOK(t)
	files := snapshot(t, e.db)
	time.Sleep(20 * time.Millisecond)
	e.dbRun("", "embed", "maintain", "--reindex").oneErrorLine(t, ExitError, "--reindex", "200 rows", "at least 256")
	sameFiles(t, files, snapshot(t, e.db))
	e.dbRun("", "embed", "maintain", "--reindex", "--dry-run").oneErrorLine(t, ExitError, "--reindex", "at least 256")
	rep := decodeReport(t, e.dbRun("", "embed", "maintain", "--json").mustOK(t))
	if rep.Index.Rebuilt || rep.After.Index != nil || rep.After.Fragments != 1 {
		t.Fatalf("maintain of 200 rows: %+v, after %+v", rep.Index, rep.After)
	}

	// From 256 rows on, --reindex creates the index, then rebuilds it
	// even when it covers every row.
	e.dbRun(manyItems(200, 100), "embed", "generate", "-").mustOK(t)
	rep = decodeReport(t, e.dbRun("", "embed", "maintain", "--reindex", "--json").mustOK(t))
	if rep.Index.Unavailable != "" {
		t.Skipf("the engine builds no vector index: %s", rep.Index.Unavailable)
	}
	if !rep.Index.Created || rep.After.Index == nil || rep.After.Index.NumIndexedRows != 300 {
		t.Fatalf("--reindex on 300 rows without an index: %+v, after %+v", rep.Index, rep.After.Index)
	}
	rep = decodeReport(t, e.dbRun("", "embed", "maintain", "--json").mustOK(t))
	if rep.Index.Rebuilt || !rep.NothingToDo {
		t.Fatalf("maintain of a fresh index: %+v", rep)
	}
	rep = decodeReport(t, e.dbRun("", "embed", "maintain", "--reindex", "--json").mustOK(t))
	if !rep.Index.Rebuilt || rep.Index.Created || rep.NothingToDo || rep.After.Version != rep.Before.Version+1 ||
		rep.After.Index == nil || rep.After.Index.NumIndexedRows != 300 || rep.After.Index.NumUnindexedRows != 0 {
		t.Fatalf("--reindex of a fresh index: %+v, before %+v, after %+v", rep.Index, rep.Before, rep.After)
	}
	r := e.dbRun("", "embed", "maintain", "--reindex")
	if !strings.Contains(r.stdout, "rebuilding as requested") {
		t.Errorf("maintain --reindex output:\n%s", r.stdout)
	}
}
