package maintenance_test

import (
	"context"
	"testing"

	"github.com/resona-go/resona/lance/internal/maintenance"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Tag files come from disk: anything that is not a tag is an error, never
// a panic.
func FuzzListTags(f *testing.F) {
	f.Add([]byte(`{"branch": null, "version": 3, "manifestSize": 512}`))
	f.Add([]byte(`{"version": 18446744073709551615}`))
	f.Add([]byte(`{"branch": "dev", "version": -1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st := storage.NewLocal(t.TempDir())
		ctx := context.Background()
		if err := st.Put(ctx, maintenance.TagsDir+"/t.json", data); err != nil {
			t.Fatal(err)
		}
		tags, err := maintenance.ListTags(ctx, st)
		if err == nil && len(tags) != 1 {
			t.Fatalf("%d tags from one file", len(tags))
		}
	})
}
