package lance

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/expr"
)

// Tables created as 2.1 or 2.2 (2.2 is what LanceDB 0.39 writes) get data
// files of that version on every write and read back through the 2.1/2.2
// decoders.
func TestWriteStorageVersion22(t *testing.T) {
	for _, v := range []string{"2.1", "2.2"} {
		t.Run(v, func(t *testing.T) { testWriteStorageVersion(t, v) })
	}
}

func testWriteStorageVersion(t *testing.T, dsv string) {
	ctx := context.Background()
	base := rowsFor("k", 0, 30, 0, testDim)
	d := mustCreate(t, tempTable(t), testDim, base, CreateOptions{DataStorageVersion: dsv, MaxRowsPerFile: 16})
	if d.DataStorageVersion() != dsv {
		t.Fatalf("storage version %s, want %s", d.DataStorageVersion(), dsv)
	}
	model := map[string]string{}
	expectContent(model, base)
	more := rowsFor("m", 0, 5, 0, testDim)
	d1, err := d.Append(ctx, []arrow.RecordBatch{resonaBatch(testDim, more)})
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	expectContent(model, more)
	d2, _, err := d1.Delete(ctx, expr.Col("id").In("k1", "m2"))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	delete(model, "k1")
	delete(model, "m2")
	up := rowsFor("k", 10, 20, 1, testDim)
	d3, _ := upsert(t, d2, up)
	defer d3.Close()
	expectContent(model, up)
	sameContent(t, tableContent(t, d3), model)
	for _, f := range d3.Fragments() {
		for _, df := range f.Files {
			if df.FormatVersion != dsv {
				t.Errorf("fragment %d file %s is %s", f.ID, df.Path, df.FormatVersion)
			}
		}
	}
}
