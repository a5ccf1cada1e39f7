package resona

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestSourceIDs(t *testing.T) {
	for _, tc := range []struct{ id, typ, inst string }{
		{"tana", "tana", ""}, {"tana/main", "tana", "main"}, {"email/work/inbox", "email", "work/inbox"},
	} {
		typ, inst := ParseSourceID(tc.id)
		if typ != tc.typ || inst != tc.inst || CreateSourceID(typ, inst) != tc.id {
			t.Errorf("%q: %q %q", tc.id, typ, inst)
		}
	}
}

type staticSource struct {
	id  string
	res []SearchResult
	err error
}

func (s staticSource) SourceID() string { return s.id }
func (s staticSource) Search(_ context.Context, _ string, k int) ([]SearchResult, error) {
	return s.res[:min(k, len(s.res))], s.err
}

func TestUnifiedSearch(t *testing.T) {
	ctx := context.Background()
	u := NewUnifiedSearch()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(u.RegisterSource(staticSource{id: "tana/main", res: []SearchResult{{ID: "a", Similarity: 0.9}, {ID: "b", Similarity: 0.5}}}))
	must(u.RegisterSource(staticSource{id: "tana/books", res: []SearchResult{{ID: "a", Similarity: 0.7}}}))
	must(u.RegisterSource(staticSource{id: "email/work", res: []SearchResult{{ID: "m1", Similarity: 0.8, ContextText: "hi"}}}))
	if err := u.RegisterSource(staticSource{id: "/x"}); !errors.Is(err, ErrInvalidItem) {
		t.Fatal(err)
	}
	got, err := u.Search(ctx, "q", 3, UnifiedOptions{})
	must(err)
	want := []string{"tana/main:a", "email/work:m1", "tana/books:a"}
	for i, r := range got {
		if r.Source+":"+r.ID != want[i] {
			t.Fatalf("%v", got)
		}
	}
	if got[1].Preview != "hi" {
		t.Fatal(got[1])
	}
	got, err = u.Search(ctx, "q", 10, UnifiedOptions{SourceTypes: []string{"tana"}})
	must(err)
	if len(got) != 3 || got[0].Source != "tana/main" || got[2].ID != "b" {
		t.Fatalf("%v", got)
	}
	got, err = u.Search(ctx, "q", 10, UnifiedOptions{Sources: []string{"email/work", "tana/books"}})
	must(err)
	if len(got) != 2 || got[0].Source != "email/work" {
		t.Fatalf("%v", got)
	}
	u.UnregisterSource("email/work")
	must(u.RegisterSource(staticSource{id: "broken", err: errors.New("down")}))
	if _, err := u.Search(ctx, "q", 3, UnifiedOptions{}); err == nil {
		t.Fatal("source error swallowed")
	}
	if len(u.Sources()) != 3 {
		t.Fatal(u.Sources())
	}
}

// Two real services merged by similarity.
func TestUnifiedSearchServices(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := localProvider(t, testDim)
	notes, err := New(ctx, p, filepath.Join(dir, "notes.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer notes.Close()
	mail, err := New(ctx, p, filepath.Join(dir, "mail.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer mail.Close()
	if _, err := notes.EmbedBatch(ctx, []Item{{ID: "n1", Text: "sourdough bread recipe"}, {ID: "n2", Text: "tax forms"}}, BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := mail.EmbedBatch(ctx, []Item{{ID: "m1", Text: "bread recipe from grandma"}, {ID: "m2", Text: "meeting notes"}}, BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	u := NewUnifiedSearch()
	if err := u.RegisterSource(ServiceSource{ID: "tana/main", Service: notes}); err != nil {
		t.Fatal(err)
	}
	if err := u.RegisterSource(ServiceSource{ID: "email/personal", Service: mail}); err != nil {
		t.Fatal(err)
	}
	got, err := u.Search(ctx, "sourdough bread recipe", 2, UnifiedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Source != "tana/main" || got[0].ID != "n1" || got[1].ID != "m1" {
		t.Fatalf("%+v", got)
	}
}
