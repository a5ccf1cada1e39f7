package interop

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/resona-go/resona/lance"
)

// TestLegacyFormatRefused checks what happens to a table in the legacy
// (pre-2.0, "0.1") file format: its metadata is readable, and reading its
// data is refused with ErrUnsupported naming the legacy format.
func TestLegacyFormatRefused(t *testing.T) {
	for _, v := range Versions {
		t.Run("lancedb-"+v, func(t *testing.T) {
			fx := fixture(t, v, "legacy")
			ctx := context.Background()
			ds, err := lance.Open(ctx, fx.Summary.TableDir)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer ds.Close()
			if got := ds.DataStorageVersion(); got != "0.1" {
				t.Errorf("DataStorageVersion() = %q, want the legacy %q", got, "0.1")
			}
			if n, err := ds.CountRows(ctx); err != nil || n != fx.Latest.CountRows {
				t.Errorf("CountRows = %d, %v; LanceDB counts %d", n, err, fx.Latest.CountRows)
			}
			var scanErr error
			for _, err := range ds.Scan(ctx, lance.ScanOptions{}) {
				if err != nil {
					scanErr = err
					break
				}
			}
			if !errors.Is(scanErr, lance.ErrUnsupported) || !strings.Contains(scanErr.Error(), "legacy") {
				t.Errorf("Scan error %v, want ErrUnsupported naming the legacy format", scanErr)
			}
			if testing.Verbose() {
				t.Logf("Scan: %v", scanErr)
			}
		})
	}
}
