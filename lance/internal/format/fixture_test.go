package format

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/resona-go/resona/lance/internal/storage"
)

// lanceDBReport is what the fixture script recorded from LanceDB itself.
type lanceDBReport struct {
	LanceDB       string `json:"lancedb"`
	LatestVersion uint64 `json:"latestVersion"`
	CountRows     uint64 `json:"countRows"`
	Versions      []struct {
		Version   uint64 `json:"version"`
		Timestamp string `json:"timestamp"`
	} `json:"versions"`
	PerVersion []struct {
		Version    uint64                    `json:"version"`
		CountRows  uint64                    `json:"countRows"`
		IndexStats map[string]indexStatsJSON `json:"indexStats"`
	} `json:"perVersion"`
	Schema []struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Nullable bool   `json:"nullable"`
	} `json:"schema"`
	Indices []struct {
		Name      string   `json:"name"`
		IndexType string   `json:"indexType"`
		Columns   []string `json:"columns"`
	} `json:"indices"`
}

type indexStatsJSON struct {
	NumIndexedRows   uint64 `json:"numIndexedRows"`
	NumUnindexedRows uint64 `json:"numUnindexedRows"`
	IndexType        string `json:"indexType"`
	NumIndices       int    `json:"numIndices"`
}

type fixture struct {
	dir        string
	scheme     NamingScheme
	storageVer string
	// indexTypes maps index names to the type derived from the details
	// URL ("" where LanceDB wrote no details).
	indexTypes map[string]string
}

var fixtures = []fixture{
	{dir: "testdata/v13", scheme: SchemeV1, storageVer: "2.0", indexTypes: map[string]string{"id_idx": "", "vec_idx": ""}},
	{dir: "testdata/v39", scheme: SchemeV2, storageVer: "2.2", indexTypes: map[string]string{"id_idx": "btree", "vec_idx": "vector"}},
}

// arrowTypeJS maps the Arrow JS type strings LanceDB reported to arrow-go's
// String() of the same types.
var arrowTypeJS = map[string]string{
	"Utf8":                       "utf8",
	"Int32":                      "int32",
	"Float64":                    "float64",
	"List<Utf8>":                 "list<item: utf8, nullable>",
	"Struct<{a:Int64, b:Utf8}>":  "struct<a: int64 nullable, b: utf8 nullable>",
	"FixedSizeList[16]<Float32>": "fixed_size_list<item: float32, nullable>[16]",
}

func loadReport(t *testing.T, dir string) lanceDBReport {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "lancedb.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r lanceDBReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFixturesAgainstLanceDB(t *testing.T) {
	ctx := context.Background()
	for _, fx := range fixtures {
		t.Run(filepath.Base(fx.dir), func(t *testing.T) {
			rep := loadReport(t, fx.dir)
			store := storage.NewLocal(fx.dir)

			latest, err := LoadManifest(ctx, store, 0)
			if err != nil {
				t.Fatal(err)
			}
			if latest.Version != rep.LatestVersion || latest.Scheme != fx.scheme {
				t.Fatalf("latest = v%d %s, LanceDB %s reports v%d (want scheme %s)", latest.Version, latest.Scheme, rep.LanceDB, rep.LatestVersion, fx.scheme)
			}
			if latest.DataStorageVersion != fx.storageVer {
				t.Errorf("data storage version %q, want %q", latest.DataStorageVersion, fx.storageVer)
			}
			if err := latest.ReadOnlyReason(); err != nil {
				t.Errorf("LanceDB table should be writable: %v", err)
			}
			checkSchema(t, latest, rep)

			for _, pv := range rep.PerVersion {
				m, err := LoadManifest(ctx, store, pv.Version)
				if err != nil {
					t.Fatalf("version %d: %v", pv.Version, err)
				}
				if m.Version != pv.Version {
					t.Fatalf("loaded version %d, asked for %d", m.Version, pv.Version)
				}
				n, ok := m.NumRows()
				if !ok || n != pv.CountRows {
					t.Errorf("v%d: manifest row count %d (ok=%v), LanceDB countRows %d", pv.Version, n, ok, pv.CountRows)
				}
				// Count again from the deletion files themselves.
				var live uint64
				for i := range m.Fragments {
					fr := &m.Fragments[i]
					del, err := ReadDeletions(ctx, store, fr)
					if err != nil {
						t.Fatalf("v%d fragment %d: %v", pv.Version, fr.ID, err)
					}
					live += fr.PhysicalRows - del.GetCardinality()
					for _, df := range fr.Files {
						if df.FileVersion.StorageVersion() != fx.storageVer {
							t.Errorf("v%d: data file %s has version %s", pv.Version, df.Path, df.FileVersion)
						}
					}
				}
				if live != pv.CountRows {
					t.Errorf("v%d: %d live rows from deletion files, LanceDB countRows %d", pv.Version, live, pv.CountRows)
				}
				checkIndexStats(t, m, pv.IndexStats, pv.CountRows, fx)
			}

			vs, err := ListVersions(ctx, store)
			if err != nil {
				t.Fatal(err)
			}
			if uint64(len(vs)) != rep.LatestVersion {
				t.Fatalf("ListVersions found %d versions, want %d", len(vs), rep.LatestVersion)
			}
			for i, v := range vs {
				if v.Version != uint64(i+1) {
					t.Errorf("version %d listed at position %d", v.Version, i)
				}
			}
			// LanceDB 0.13 has no listVersions; 0.39 reports ms timestamps.
			for i, lv := range rep.Versions {
				want, err := time.Parse(time.RFC3339Nano, lv.Timestamp)
				if err != nil {
					t.Fatal(err)
				}
				if vs[i].Version != lv.Version || !vs[i].Timestamp.Truncate(time.Millisecond).Equal(want) {
					t.Errorf("version %d at %s, LanceDB: version %d at %s", vs[i].Version, vs[i].Timestamp, lv.Version, want)
				}
			}
		})
	}
}

func checkSchema(t *testing.T, m *Manifest, rep lanceDBReport) {
	t.Helper()
	fields := m.Schema.Arrow.Fields()
	if len(fields) != len(rep.Schema) {
		t.Fatalf("%d fields, LanceDB reports %d", len(fields), len(rep.Schema))
	}
	for i, want := range rep.Schema {
		got := fields[i]
		if got.Name != want.Name || got.Nullable != want.Nullable || got.Type.String() != arrowTypeJS[want.Type] {
			t.Errorf("field %d = %s %s nullable=%v, LanceDB: %s %s nullable=%v", i, got.Name, got.Type, got.Nullable, want.Name, want.Type, want.Nullable)
		}
	}
}

// checkIndexStats recomputes LanceDB's indexStats from the manifest: the
// indexed rows are the live rows of the fragments an index covers.
func checkIndexStats(t *testing.T, m *Manifest, want map[string]indexStatsJSON, countRows uint64, fx fixture) {
	t.Helper()
	type agg struct {
		frags    *roaring.Bitmap
		segments int
	}
	got := map[string]*agg{}
	for _, ix := range m.Indexes {
		a := got[ix.Name]
		if a == nil {
			a = &agg{frags: roaring.New()}
			got[ix.Name] = a
		}
		a.segments++
		a.frags.Or(ix.Fragments)
		if ix.Type != fx.indexTypes[ix.Name] {
			t.Errorf("v%d index %s: type %q, want %q", m.Version, ix.Name, ix.Type, fx.indexTypes[ix.Name])
		}
		if len(ix.UUID) != 36 {
			t.Errorf("index uuid %q", ix.UUID)
		}
	}
	if len(got) != len(want) {
		t.Errorf("v%d: %d indexes, LanceDB reports %d", m.Version, len(got), len(want))
	}
	for name, ws := range want {
		a := got[name]
		if a == nil {
			t.Errorf("v%d: index %s missing", m.Version, name)
			continue
		}
		var indexed uint64
		for _, fr := range m.Fragments {
			if a.frags.Contains(uint32(fr.ID)) {
				n, _ := fr.LiveRows()
				indexed += n
			}
		}
		if indexed != ws.NumIndexedRows || countRows-indexed != ws.NumUnindexedRows || a.segments != ws.NumIndices {
			t.Errorf("v%d index %s: indexed %d unindexed %d segments %d; LanceDB %+v", m.Version, name, indexed, countRows-indexed, a.segments, ws)
		}
	}
}

func TestFixtureDeletionKinds(t *testing.T) {
	ctx := context.Background()
	for _, fx := range fixtures {
		store := storage.NewLocal(fx.dir)
		// Version 5 deleted 5,900 rows of fragment 0 on top of 10: a bitmap.
		m, err := LoadManifest(ctx, store, 5)
		if err != nil {
			t.Fatal(err)
		}
		fr := m.Fragments[0]
		if fr.Deletion == nil || fr.Deletion.Kind != DeletionBitmap || fr.Deletion.NumDeletedRows != 5910 {
			t.Fatalf("%s v5 fragment 0 deletion = %+v, want a .bin with 5910 rows", fx.dir, fr.Deletion)
		}
		m, err = LoadManifest(ctx, store, 4)
		if err != nil {
			t.Fatal(err)
		}
		fr = m.Fragments[0]
		if fr.Deletion == nil || fr.Deletion.Kind != DeletionArrow || fr.Deletion.NumDeletedRows != 10 {
			t.Fatalf("%s v4 fragment 0 deletion = %+v, want an .arrow with 10 rows", fx.dir, fr.Deletion)
		}
		del, err := ReadDeletions(ctx, store, &fr)
		if err != nil {
			t.Fatal(err)
		}
		// "n < 10" deleted the first ten rows of fragment 0.
		if want := roaring.BitmapOf(0, 1, 2, 3, 4, 5, 6, 7, 8, 9); !del.Equals(want) {
			t.Errorf("deleted %v, want %v", del, want)
		}
	}
}

func TestFixtureVersionHint(t *testing.T) {
	ctx := context.Background()
	v, ok := ReadVersionHint(ctx, storage.NewLocal("testdata/v39"))
	if !ok || v != 13 {
		t.Errorf("hint = %d, %v; want 13", v, ok)
	}
	if _, ok := ReadVersionHint(ctx, storage.NewLocal("testdata/v13")); ok {
		t.Error("LanceDB 0.13 writes no hint")
	}
}

// 2.0 files give struct and list parents their own columns; 2.1+ files
// store only leaves.
func TestFixtureFieldColumns(t *testing.T) {
	ctx := context.Background()
	for dir, want := range map[string]map[int32]int{
		"testdata/v13": {0: 0, 3: 3, 4: 4, 5: 5, 8: 8},
		"testdata/v39": {0: 0, 3: -1, 4: 3, 5: -1, 6: 4, 8: 6},
	} {
		m, err := LoadManifest(ctx, storage.NewLocal(dir), 0)
		if err != nil {
			t.Fatal(err)
		}
		df := &m.Fragments[0].Files[0]
		for id, col := range want {
			got, ok := FieldColumn(df, id)
			if (col < 0 && ok) || (col >= 0 && (!ok || got != col)) {
				t.Errorf("%s field %d: column %d %v, want %d", dir, id, got, ok, col)
			}
		}
	}
}
