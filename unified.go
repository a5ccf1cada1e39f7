package resona

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// ParseSourceID splits a source id "type/instance" ("tana/main",
// "email/work"); an id without '/' has no instance. The instance may
// itself contain '/'.
func ParseSourceID(id string) (typ, instance string) {
	typ, instance, _ = strings.Cut(id, "/")
	return typ, instance
}

// CreateSourceID joins a type and an optional instance.
func CreateSourceID(typ, instance string) string {
	if instance == "" {
		return typ
	}
	return typ + "/" + instance
}

// Source is a searchable collection registered with UnifiedSearch. An
// *EmbeddingService searches one; ServiceSource adapts it.
type Source interface {
	// SourceID is "type" or "type/instance".
	SourceID() string
	Search(ctx context.Context, query string, k int) ([]SearchResult, error)
}

// ServiceSource makes an EmbeddingService a Source.
type ServiceSource struct {
	ID          string
	Description string
	Service     *EmbeddingService
}

// SourceID returns s.ID.
func (s ServiceSource) SourceID() string { return s.ID }

// Search searches the service.
func (s ServiceSource) Search(ctx context.Context, query string, k int) ([]SearchResult, error) {
	return s.Service.Search(ctx, query, k)
}

// UnifiedResult is one item found by UnifiedSearch; (Source, ID) is unique.
type UnifiedResult struct {
	Source string
	ID     string
	// Similarity and Distance are the source's SearchResult figures:
	// Similarity is 1 − Distance (TypeScript Resona's), not a cosine
	// similarity; see SearchResult.
	Similarity float64
	Distance   float64
	Preview    string
	Metadata   map[string]any
}

// UnifiedOptions filter the sources UnifiedSearch.Search asks.
type UnifiedOptions struct {
	// Sources, when not empty, are the only source ids searched.
	Sources []string
	// SourceTypes, when not empty, are the only source types searched
	// ("tana" matches "tana/main" and "tana/books").
	SourceTypes []string
}

// UnifiedSearch searches several sources at once. It is safe for
// concurrent use.
type UnifiedSearch struct {
	mu      sync.RWMutex
	sources map[string]Source
}

// NewUnifiedSearch returns a UnifiedSearch with no sources.
func NewUnifiedSearch() *UnifiedSearch { return &UnifiedSearch{sources: map[string]Source{}} }

// RegisterSource adds src, replacing a source with the same id.
func (u *UnifiedSearch) RegisterSource(src Source) error {
	id := src.SourceID()
	typ, _ := ParseSourceID(id)
	if typ == "" || strings.HasSuffix(id, "/") {
		return fmt.Errorf("%w: source id %q is not \"type\" or \"type/instance\"", ErrInvalidItem, id)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.sources == nil {
		u.sources = map[string]Source{}
	}
	u.sources[id] = src
	return nil
}

// UnregisterSource removes the source with this id.
func (u *UnifiedSearch) UnregisterSource(id string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.sources, id)
}

// Sources lists the registered source ids, sorted.
func (u *UnifiedSearch) Sources() []string {
	u.mu.RLock()
	defer u.mu.RUnlock()
	ids := make([]string, 0, len(u.sources))
	for id := range u.sources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Search asks every selected source for k results in parallel and returns
// the k most similar overall. A failing source fails the search, with its
// id in the error (use the filters to leave it out).
func (u *UnifiedSearch) Search(ctx context.Context, query string, k int, opts UnifiedOptions) ([]UnifiedResult, error) {
	if k <= 0 {
		k = DefaultK
	}
	u.mu.RLock()
	var selected []Source
	for id, src := range u.sources {
		typ, _ := ParseSourceID(id)
		if len(opts.Sources) > 0 && !slices.Contains(opts.Sources, id) {
			continue
		}
		if len(opts.SourceTypes) > 0 && !slices.Contains(opts.SourceTypes, typ) {
			continue
		}
		selected = append(selected, src)
	}
	u.mu.RUnlock()
	results := make([][]UnifiedResult, len(selected))
	errs := make([]error, len(selected))
	var wg sync.WaitGroup
	for i, src := range selected {
		wg.Go(func() {
			rs, err := src.Search(ctx, query, k)
			if err != nil {
				errs[i] = fmt.Errorf("source %s: %w", src.SourceID(), err)
				return
			}
			for _, r := range rs {
				results[i] = append(results[i], UnifiedResult{
					Source: src.SourceID(), ID: r.ID, Similarity: r.Similarity, Distance: r.Distance,
					Preview: r.ContextText, Metadata: r.Metadata,
				})
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("resona: unified search: %w", err)
	}
	var all []UnifiedResult
	for _, rs := range results {
		all = append(all, rs...)
	}
	sort.SliceStable(all, func(a, b int) bool {
		if all[a].Similarity != all[b].Similarity {
			return all[a].Similarity > all[b].Similarity
		}
		if all[a].Source != all[b].Source {
			return all[a].Source < all[b].Source
		}
		return all[a].ID < all[b].ID
	})
	if len(all) > k {
		all = all[:k]
	}
	return all, nil
}
