package provider

import (
	"context"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// charsPerToken converts model token limits to character limits. Three
// characters per token is conservative for English prose (about four on
// average), leaving room for punctuation-heavy text and code.
const charsPerToken = 3

// batcher splits an Embed call into requests and checks what comes back.
type batcher struct {
	provider   string
	maxBatch   int // texts per request
	maxChars   int // per text; longer texts are truncated; 0 = no limit
	budget     int // characters per request; 0 = no limit
	dimensions func() int
	// rejectEmpty refuses empty texts before sending anything, for APIs
	// that would reject the whole request for one of them.
	rejectEmpty bool
}

// run embeds texts request by request with send and validates each answer.
func (b batcher) run(ctx context.Context, texts []string, send func(context.Context, []string) ([][]float32, error)) ([][]float32, error) {
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	if b.rejectEmpty {
		for i, t := range texts {
			if strings.TrimSpace(t) == "" {
				return nil, fmt.Errorf("%w: %s: text %d is empty; the API rejects empty input", ErrRequest, b.provider, i)
			}
		}
	}
	prepared := texts
	if b.maxChars > 0 {
		prepared = make([]string, len(texts))
		for i, t := range texts {
			prepared[i] = truncateRunes(t, b.maxChars)
		}
	}
	out := make([][]float32, 0, len(texts))
	for _, batch := range splitBatches(prepared, b.maxBatch, b.budget) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", b.provider, err)
		}
		vecs, err := send(ctx, batch)
		if err != nil {
			return nil, err
		}
		if err := checkVectors(b.provider, vecs, len(batch), b.dimensions()); err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

// splitBatches groups texts, in order, into batches of at most maxCount
// texts and, when budget > 0, at most budget characters (a single longer
// text still gets a batch of its own).
func splitBatches(texts []string, maxCount, budget int) [][]string {
	if maxCount <= 0 {
		maxCount = len(texts)
	}
	var batches [][]string
	start, chars := 0, 0
	for i, t := range texts {
		n := utf8.RuneCountInString(t)
		full := i-start >= maxCount || (budget > 0 && i > start && chars+n > budget)
		if full {
			batches = append(batches, texts[start:i:i])
			start, chars = i, 0
		}
		chars += n
	}
	if start < len(texts) {
		batches = append(batches, texts[start:])
	}
	return batches
}

// truncateRunes shortens s to at most n code points without splitting one.
func truncateRunes(s string, n int) string {
	if n <= 0 || len(s) <= n {
		return s
	}
	count := 0
	for i := range s {
		if count == n {
			return s[:i]
		}
		count++
	}
	return s
}

// checkVectors verifies the count and shape of a batch of vectors. dim <= 0
// means any common dimension is accepted.
func checkVectors(provider string, vecs [][]float32, n, dim int) error {
	if len(vecs) != n {
		return fmt.Errorf("%w: %s: got %d vectors for %d texts", ErrBadResponse, provider, len(vecs), n)
	}
	for i, v := range vecs {
		want := dim
		if want <= 0 {
			want = len(vecs[0])
		}
		if len(v) != want || len(v) == 0 {
			return fmt.Errorf("%w: %s: vector %d has %d dimensions, want %d", ErrBadResponse, provider, i, len(v), want)
		}
		for j, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("%w: %s: vector %d component %d is %v", ErrBadResponse, provider, i, j, x)
			}
		}
	}
	return nil
}

// indexedEmbedding is one element of the OpenAI and Voyage "data" arrays.
type indexedEmbedding struct {
	Index     int       `json:"index"`
	Embedding []float32 `json:"embedding"`
}

// listResponse is the OpenAI and Voyage embeddings response.
type listResponse struct {
	Data []indexedEmbedding `json:"data"`
}

// ordered places each embedding at its index, rejecting gaps, duplicates
// and indexes out of range: APIs do not promise to answer in input order.
func ordered(provider string, data []indexedEmbedding, n int) ([][]float32, error) {
	if len(data) != n {
		return nil, fmt.Errorf("%w: %s: got %d vectors for %d texts", ErrBadResponse, provider, len(data), n)
	}
	out := make([][]float32, n)
	for _, d := range data {
		if d.Index < 0 || d.Index >= n {
			return nil, fmt.Errorf("%w: %s: vector index %d out of range [0,%d)", ErrBadResponse, provider, d.Index, n)
		}
		if out[d.Index] != nil {
			return nil, fmt.Errorf("%w: %s: vector index %d repeated", ErrBadResponse, provider, d.Index)
		}
		if d.Embedding == nil {
			d.Embedding = []float32{}
		}
		out[d.Index] = d.Embedding
	}
	return out, nil
}
