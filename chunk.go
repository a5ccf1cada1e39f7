package resona

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Chunking defaults, as in TypeScript Resona.
const (
	// DefaultChunkSize is the chunk length, in characters, for providers
	// that report no MaxChars.
	DefaultChunkSize = 30000
	// DefaultChunkOverlap is the number of characters consecutive chunks
	// share, so a sentence cut at a boundary is whole in one of them.
	DefaultChunkOverlap = 500
)

// hashText returns the SHA-256 hex digest of the text that is embedded:
// TypeScript Resona hashes the context text when given, otherwise the
// text, so both sides skip the same unchanged items.
func hashText(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// embeddedText is what gets embedded for an item.
func embeddedText(it Item) string {
	if it.ContextText != "" {
		return it.ContextText
	}
	return it.Text
}

// BaseID strips a chunk suffix: "node#2" → "node". Ids whose part after
// the last '#' is not a decimal number are returned unchanged.
func BaseID(id string) string {
	i := strings.LastIndexByte(id, '#')
	if i < 0 || i == len(id)-1 {
		return id
	}
	for _, c := range id[i+1:] {
		if c < '0' || c > '9' {
			return id
		}
	}
	return id[:i]
}

// chunkText splits text into pieces of at most size characters (Unicode
// code points), each starting size−overlap characters after the previous
// one. Like TypeScript Resona it stops once less than overlap characters
// would start a new chunk, since those are already in the last one.
func chunkText(text string, size, overlap int) []string {
	runes := []rune(text)
	if len(runes) <= size {
		return []string{text}
	}
	if overlap < 0 || overlap >= size {
		overlap = size / 4
	}
	step := size - overlap
	var out []string
	for start := 0; start < len(runes); start += step {
		end := min(start+size, len(runes))
		out = append(out, string(runes[start:end]))
		if end == len(runes) || len(runes)-(start+step) < overlap {
			break
		}
	}
	return out
}
