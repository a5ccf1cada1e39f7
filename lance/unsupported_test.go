package lance

import (
	"context"
	"errors"
	"testing"

	"github.com/resona-go/resona/lance/internal/format"
)

func TestLegacyDataFileUnsupported(t *testing.T) {
	path, _ := loadFixture(t, "v13")
	ds := openT(t, path)
	ds.m.Fragments[1].Files[0].FileVersion = format.FileVersion{Major: 0, Minor: 1}
	var last error
	for _, err := range ds.Scan(context.Background(), ScanOptions{Columns: []string{"id"}}) {
		last = err
	}
	if !errors.Is(last, ErrUnsupported) {
		t.Errorf("scan of a legacy file ended with %v, want ErrUnsupported", last)
	}
}

func TestReadOnlyUnknownIndex(t *testing.T) {
	path, _ := loadFixture(t, "v13")
	ds := openT(t, path)
	ds.m.Indexes[0].Type = "unknown: /lance.index.pb.FutureIndexDetails"
	err := ds.ReadOnlyReason()
	if !errors.Is(err, ErrReadOnly) || !errors.Is(err, ErrUnsupported) {
		t.Errorf("ReadOnlyReason = %v, want ErrReadOnly and ErrUnsupported", err)
	}
}

func TestCheckoutLatest(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ds := openT(t, path, WithVersion(2))
	latest, err := ds.CheckoutLatest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer latest.Close()
	if want := fx.Versions[len(fx.Versions)-1].Version; latest.Version() != want {
		t.Errorf("CheckoutLatest gave version %d, want %d", latest.Version(), want)
	}
	if ds.Version() != 2 {
		t.Errorf("the original Dataset moved to version %d", ds.Version())
	}
}
