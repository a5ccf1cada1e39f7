package btree

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

func TestBuildLookupsMatchScan(t *testing.T) {
	for _, files := range []FileFormat{FilesV2, FilesLegacy} {
		for _, bs := range []uint64{0, 37} {
			t.Run(fmt.Sprintf("files=%d/batch=%d", files, bs), func(t *testing.T) {
				ctx := context.Background()
				store := storage.NewLocal(t.TempDir())
				rows := newTestTable(t, store, 700, 500, 300)
				m, err := format.LoadManifest(ctx, store, 0)
				if err != nil {
					t.Fatal(err)
				}
				md, err := Build(ctx, store, m, "id", "", Options{BatchSize: bs, Files: files})
				if err != nil {
					t.Fatal(err)
				}
				checkMetadata(t, md, m)
				if _, err := commit.Commit(ctx, store, &commit.Transaction{
					ReadVersion: m.Version, Operation: commit.CreateIndex{NewIndices: []*pb.IndexMetadata{md}},
				}, commit.Options{}); err != nil {
					t.Fatal(err)
				}
				m, err = format.LoadManifest(ctx, store, 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(m.Indexes) != 1 || m.Indexes[0].Type != "btree" {
					t.Fatalf("manifest indexes %+v", m.Indexes)
				}
				ix, err := Open(ctx, store, &m.Indexes[0])
				if err != nil {
					t.Fatal(err)
				}
				defer ix.Close()
				if ix.NumRows() != uint64(len(rows)) {
					t.Errorf("NumRows %d, want %d live rows", ix.NumRows(), len(rows))
				}
				wantBS := bs
				if wantBS == 0 {
					wantBS = DefaultBatchSize
				}
				if ix.BatchSize() != wantBS || ix.NumPages() != int((uint64(len(rows))+wantBS-1)/wantBS) {
					t.Errorf("batch size %d, %d pages", ix.BatchSize(), ix.NumPages())
				}
				for f := uint32(0); f < 4; f++ {
					if ix.Covers(f) != (f < 3) {
						t.Errorf("Covers(%d) = %v", f, ix.Covers(f))
					}
				}
				checkLookups(t, ix, rows)
			})
		}
	}
}

func checkMetadata(t *testing.T, md *pb.IndexMetadata, m *format.Manifest) {
	t.Helper()
	if md.Name != "id_idx" || len(md.Fields) != 1 || md.Fields[0] != 0 || md.DatasetVersion != m.Version {
		t.Errorf("entry name %q fields %v version %d", md.Name, md.Fields, md.DatasetVersion)
	}
	if md.IndexDetails.GetTypeUrl() != DetailsTypeURL || md.GetIndexVersion() != 0 || md.CreatedAt == nil {
		t.Errorf("entry details %v version %v created %v", md.IndexDetails, md.IndexVersion, md.CreatedAt)
	}
	if _, err := uuid.FromBytes(md.Uuid.GetUuid()); err != nil {
		t.Error(err)
	}
	if len(md.Files) != 2 || md.Files[0].Path != PagesFileName || md.Files[1].Path != LookupFileName || md.Files[0].SizeBytes == 0 {
		t.Errorf("entry files %v", md.Files)
	}
}

func checkLookups(t *testing.T, ix *Index, rows []testRow) {
	t.Helper()
	ctx := context.Background()
	eq := func(v string) func(*string) bool {
		return func(id *string) bool { return id != nil && *id == v }
	}
	for _, v := range []string{"doc-0", "doc-3", "doc-7919", "doc-99999", "doc-", "", "zzz", "doc-13"} {
		got, err := ix.Equal(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteIDs(rows, eq(v)); !sameAddrs(got, want) {
			t.Errorf("Equal(%q) = %v, want %v", v, got, want)
		}
	}
	// Every present id, in one In query.
	var all []any
	for _, r := range rows {
		if r.id != nil {
			all = append(all, *r.id)
		}
	}
	got, err := ix.In(ctx, append(all, "absent"))
	if err != nil {
		t.Fatal(err)
	}
	if want := bruteIDs(rows, func(id *string) bool { return id != nil }); !sameAddrs(got, want) {
		t.Errorf("In(all ids) returned %d rows, want %d", len(got), len(want))
	}
	nulls, err := ix.IsNull(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := bruteIDs(rows, func(id *string) bool { return id == nil }); !sameAddrs(nulls, want) {
		t.Errorf("IsNull returned %d rows, want %d", len(nulls), len(want))
	}
	ranges := []struct{ lo, hi *Bound }{
		{&Bound{"doc-2", true}, &Bound{"doc-3", false}},
		{&Bound{"doc-2", false}, &Bound{"doc-3", true}},
		{nil, &Bound{"doc-1", true}},
		{&Bound{"doc-9", false}, nil},
		{nil, nil},
		{&Bound{"doc-5", true}, &Bound{"doc-5", true}},
		{&Bound{"doc-6", true}, &Bound{"doc-5", true}},
	}
	for _, r := range ranges {
		got, err := ix.Range(ctx, r.lo, r.hi)
		if err != nil {
			t.Fatal(err)
		}
		want := bruteIDs(rows, func(id *string) bool {
			if id == nil {
				return false
			}
			if r.lo != nil && (*id < r.lo.Value.(string) || *id == r.lo.Value.(string) && !r.lo.Inclusive) {
				return false
			}
			if r.hi != nil && (*id > r.hi.Value.(string) || *id == r.hi.Value.(string) && !r.hi.Inclusive) {
				return false
			}
			return true
		})
		if !sameAddrs(got, want) {
			t.Errorf("Range(%v, %v) returned %d rows, want %d", r.lo, r.hi, len(got), len(want))
		}
	}
	if _, err := ix.Equal(ctx, 5); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("Equal(5) on a string index: %v", err)
	}
}

func TestBuildNumericColumn(t *testing.T) {
	ctx := context.Background()
	store := storage.NewLocal(t.TempDir())
	rows := newTestTable(t, store, 300, 200)
	m, err := format.LoadManifest(ctx, store, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, files := range []FileFormat{FilesV2, FilesLegacy} {
		md, err := Build(ctx, store, m, "k", "k_idx", Options{BatchSize: 64, Files: files})
		if err != nil {
			t.Fatal(err)
		}
		id, _ := uuid.FromBytes(md.Uuid.Uuid)
		ix, err := OpenDir(ctx, store, SegmentDir(id))
		if err != nil {
			t.Fatal(err)
		}
		brute := func(match func(k int64) bool) []uint64 {
			var out []uint64
			for _, r := range rows {
				if match(r.k) {
					out = append(out, r.addr)
				}
			}
			return out
		}
		for _, q := range []any{int64(-25), 0, uint8(24), 3.0, 3.5, uint64(1 << 63), -26} {
			got, err := ix.Equal(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var want []uint64
			switch x := q.(type) {
			case int64:
				want = brute(func(k int64) bool { return k == x })
			case int:
				want = brute(func(k int64) bool { return k == int64(x) })
			case uint8:
				want = brute(func(k int64) bool { return k == int64(x) })
			case float64:
				want = brute(func(k int64) bool { return float64(k) == x })
			}
			if !sameAddrs(got, want) {
				t.Errorf("files %d: Equal(%v) = %d rows, want %d", files, q, len(got), len(want))
			}
		}
		got, err := ix.Range(ctx, &Bound{-3, true}, &Bound{int64(4), false})
		if err != nil {
			t.Fatal(err)
		}
		if want := brute(func(k int64) bool { return k >= -3 && k < 4 }); !sameAddrs(got, want) {
			t.Errorf("files %d: Range = %d rows, want %d", files, len(got), len(want))
		}
		ix.Close()
	}
}

func TestBuildRefusesUnknownColumn(t *testing.T) {
	ctx := context.Background()
	store := storage.NewLocal(t.TempDir())
	newTestTable(t, store, 10)
	m, err := format.LoadManifest(ctx, store, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(ctx, store, m, "nope", "", Options{}); !errors.Is(err, lanceerr.ErrNotFound) {
		t.Errorf("Build on a missing column: %v", err)
	}
}

func TestFilesAutoFollowsStorageVersion(t *testing.T) {
	for v, want := range map[string]FileFormat{"2.0": FilesLegacy, "0.1": FilesLegacy, "2.1": FilesV2, "2.2": FilesV2} {
		if got := FilesAuto.resolve(v); got != want {
			t.Errorf("%s: %d, want %d", v, got, want)
		}
	}
	if FilesV2.resolve("2.0") != FilesV2 {
		t.Error("an explicit format must win")
	}
}
