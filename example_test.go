package resona_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/resona-go/resona"
	"github.com/resona-go/resona/provider"
)

func ExampleNew() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "resona-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	p, err := provider.NewLocal(provider.LocalConfig{})
	if err != nil {
		log.Fatal(err)
	}
	svc, err := resona.New(ctx, p, filepath.Join(dir, "notes.db"), resona.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()

	res, err := svc.EmbedBatch(ctx, []resona.Item{
		{ID: "n1", Text: "Sourdough bread needs a lively starter"},
		{ID: "n2", Text: "Quarterly tax forms are due in April"},
		{ID: "n3", Text: "Hiking the alpine ridge at dawn"},
	}, resona.BatchOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("embedded:", res.Processed)

	hits, err := svc.Search(ctx, "baking bread", 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("best match:", hits[0].ID)
	fmt.Println("table:", filepath.Base(svc.TablePath()))
	// Output:
	// embedded: 3
	// best match: n1
	// table: embeddings.lance
}

func ExampleEmbeddingService_Maintain() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "resona-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p, err := provider.NewLocal(provider.LocalConfig{Dimensions: 64})
	if err != nil {
		log.Fatal(err)
	}
	svc, err := resona.New(ctx, p, filepath.Join(dir, "notes.db"), resona.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()

	// Ten small writes leave ten small fragments.
	for i := range 10 {
		item := resona.Item{ID: fmt.Sprintf("note-%d", i), Text: fmt.Sprintf("note number %d", i)}
		if _, err := svc.Embed(ctx, item); err != nil {
			log.Fatal(err)
		}
	}
	diag, err := svc.GetDiagnostics(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("fragments before:", diag.Fragments)

	res, err := svc.Maintain(ctx, resona.MaintenanceOptions{RetentionDays: resona.Days(0)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("fragments merged:", res.Compaction.FragmentsRemoved)
	fmt.Println("old versions removed:", res.Cleanup.VersionsRemoved > 0)

	again, err := svc.Maintain(ctx, resona.MaintenanceOptions{RetentionDays: resona.Days(0)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("second run had nothing to do:", again.NothingToDo)
	// Output:
	// fragments before: 10
	// fragments merged: 10
	// old versions removed: true
	// second run had nothing to do: true
}
