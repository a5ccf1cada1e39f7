package file

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// TestExternalFixtures reads LanceDB tables too large (or too many) to
// commit: every <name>.lance table with a <name>.expected.json dump in the
// directories listed in LANCE_FIXTURE_DIRS (colon-separated), as written by
// testdata/gen.mjs.txt (with --big: several pages per column). It is
// skipped when the variable is unset.
func TestExternalFixtures(t *testing.T) {
	dirs := os.Getenv("LANCE_FIXTURE_DIRS")
	if dirs == "" {
		t.Skip("LANCE_FIXTURE_DIRS not set")
	}
	for _, dir := range strings.Split(dirs, ":") {
		dumps, _ := filepath.Glob(filepath.Join(dir, "*.expected.json"))
		if len(dumps) == 0 {
			t.Fatalf("no *.expected.json in %s", dir)
		}
		for _, dump := range dumps {
			name := strings.TrimSuffix(filepath.Base(dump), ".expected.json")
			t.Run(filepath.Base(dir)+"/"+name, func(t *testing.T) {
				files, err := filepath.Glob(filepath.Join(dir, name+".lance", "data", "*.lance"))
				if err != nil || len(files) != 1 {
					t.Fatalf("want one data file, got %v (%v)", files, err)
				}
				checkTable(t, files[0], dump)
			})
		}
	}
}

func checkTable(t *testing.T, path, dump string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(context.Background(), bytesReader(b), int64(len(b)), path)
	if errors.Is(err, lanceerr.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	exp := loadExpected(t, dump)
	fields, first := topFields(t, r)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	n := r.NumRows()
	if n != uint64(exp.NumRows) {
		t.Fatalf("%d rows, LanceDB read %d", n, exp.NumRows)
	}
	for i, f := range fields {
		want := exp.Columns[f.Name].([]any)
		arr, err := r.ReadRange(ctx, f, first[i], 0, n)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		checkRows(t, f.Name, arr, want, seq(0, n))
		for trial := 0; trial < 10; trial++ {
			a := rng.Uint64N(n)
			b := min(n, a+rng.Uint64N(min(n, 20000)))
			arr, err := r.ReadRange(ctx, f, first[i], a, b)
			if err != nil {
				t.Fatalf("%s [%d,%d): %v", f.Name, a, b, err)
			}
			checkRows(t, f.Name, arr, want, seq(a, b))
			var rows []uint64
			for k := 0; k < 50; k++ {
				rows = append(rows, rng.Uint64N(n))
			}
			sortRows(rows)
			arr, err = r.Take(ctx, f, first[i], rows)
			if err != nil {
				t.Fatalf("%s take: %v", f.Name, err)
			}
			checkRows(t, f.Name, arr, want, rows)
		}
	}
}
