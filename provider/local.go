package provider

import (
	"context"
	"fmt"
	"math"
	"slices"
	"unicode"
	"unicode/utf8"
)

// LocalModel names the algorithm of the built-in embedder. Any change that
// alters its vectors (tokenisation, stop words, features, hashing, weights)
// must come with a new name, so that stored vectors are never compared with
// vectors computed differently: the name is stored next to every vector.
const LocalModel = "resona-local-hash-v1"

// DefaultLocalDimensions is the vector length of the local embedder. With
// signed feature hashing, unrelated texts still share hash buckets, which
// adds a random cosine similarity with a spread of about 1/sqrt(D): ±0.044
// at 512, ±0.051 at 384. Related short notes reach only 0.1–0.4 (they share
// a few words, not meaning), so the noise must stay well below that; 512
// does, at half the storage and search time of 1024, and is a multiple of
// the SIMD width of the distance kernels.
const DefaultLocalDimensions = 512

const localMaxBatch = 256

// Feature groups and their share of the squared norm of a vector. Each
// group is normalised on its own, so the cosine of two vectors is close to
// the weighted sum of the per-group cosines: (stemmed) words carry the
// topic, character n-grams match inflections, compounds and typos
// (cook, cooking, cookbook), word pairs reward shared phrases. A short text
// has only a few dozen words, and a single hash collision between two of
// them moves the cosine by 0.05–0.1; the hundreds of n-grams spread their
// collisions thinly, so giving them the larger share keeps the noise floor
// near its 1/sqrt(D) ideal.
const (
	groupWord    = 'w'
	groupBigram  = 'b'
	groupNgram   = 'c'
	weightWord   = 0.4
	weightNgram  = 0.5
	weightBigram = 0.1
	minNgram     = 3
	maxNgram     = 5
)

// LocalConfig configures NewLocal.
type LocalConfig struct {
	// Dimensions is the vector length; 0 selects DefaultLocalDimensions.
	Dimensions int
}

// Local is a deterministic, offline embedder built into the binary: no
// download, no network, no model file. A text is lowercased and split into
// runs of Unicode letters and digits; English and German stop words are
// dropped. Three groups of features are hashed into D signed buckets
// (FNV-1a with a fixed MurmurHash3 finaliser): stemmed words, pairs of
// adjacent stemmed words, and character 3–5-grams of each word with its
// boundaries ("<cook", "ing>"). Each feature weighs 1+ln(tf); each group is
// L2-normalised and mixed with a fixed share (words 0.4, n-grams 0.5, pairs
// 0.1 of the squared norm), and the sum is L2-normalised. Vectors are
// bit-identical on every run and platform.
//
// It finds texts that share vocabulary, not paraphrases: good enough to
// try Resona without any setup and for tests, not a substitute for a neural
// model. An empty text, or one without letters or digits, maps to the zero
// vector.
type Local struct {
	dims int
}

var _ Provider = (*Local)(nil)

// NewLocal builds the local embedder.
func NewLocal(cfg LocalConfig) (*Local, error) {
	switch {
	case cfg.Dimensions == 0:
		cfg.Dimensions = DefaultLocalDimensions
	case cfg.Dimensions < 16 || cfg.Dimensions > 1<<16:
		return nil, fmt.Errorf("%w: local: dimensions %d out of range [16, 65536]", ErrConfig, cfg.Dimensions)
	}
	return &Local{dims: cfg.Dimensions}, nil
}

func (l *Local) Name() string      { return "local" }
func (l *Local) Model() string     { return LocalModel }
func (l *Local) Dimensions() int   { return l.dims }
func (l *Local) MaxBatchSize() int { return localMaxBatch }

// MaxChars is 0: any length can be hashed, though chunking long texts still
// gives more precise matches.
func (l *Local) MaxChars() int { return 0 }

func (l *Local) String() string { return fmt.Sprintf("local(%s, %d dims)", LocalModel, l.dims) }

// Embed embeds texts on the calling goroutine, checking ctx between texts.
func (l *Local) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("local: %w", err)
		}
		out[i] = l.EmbedText(t)
	}
	return out, nil
}

// EmbedText embeds one text.
func (l *Local) EmbedText(text string) []float32 {
	tokens := contentTokens(tokenize(text))
	out := make([]float32, l.dims)
	if len(tokens) == 0 {
		return out
	}
	acc := make([]float64, l.dims)
	group := make([]float64, l.dims)
	var f features

	stems := make([]string, len(tokens))
	for i, t := range tokens {
		stems[i] = stem(t)
		f.add(groupWord, stems[i], "")
	}
	l.addGroup(acc, group, &f, weightWord)

	for i := 1; i < len(stems); i++ {
		f.add(groupBigram, stems[i-1], stems[i])
	}
	l.addGroup(acc, group, &f, weightBigram)

	var padded []byte
	var starts []int
	for _, t := range tokens {
		padded = append(append(append(padded[:0], '<'), t...), '>')
		starts = starts[:0]
		for i := range string(padded) {
			starts = append(starts, i)
		}
		starts = append(starts, len(padded))
		runes := len(starts) - 1
		for n := minNgram; n <= maxNgram; n++ {
			if n > runes {
				if n == minNgram {
					f.addBytes(groupNgram, padded) // a one-letter token: "<x>"
				}
				break
			}
			for i := 0; i+n <= runes; i++ {
				f.addBytes(groupNgram, padded[starts[i]:starts[i+n]])
			}
		}
	}
	l.addGroup(acc, group, &f, weightNgram)

	var norm float64
	for _, x := range acc {
		norm += float64(x * x)
	}
	if norm == 0 {
		return out
	}
	inv := 1 / math.Sqrt(norm)
	for i, x := range acc {
		out[i] = float32(x * inv)
	}
	return out
}

// addGroup hashes the collected features into group (sublinear TF, signed
// buckets), normalises it, adds it to acc with the given share of the
// squared norm, and resets f and group.
//
// Vectors are bit-identical on every platform: TF weights are rounded to a
// multiple of 2⁻²⁰, which absorbs the last-bit differences between math.Log
// implementations and makes the bucket sums exact (so independent of
// order); the remaining arithmetic is IEEE + × / √, with explicit float64
// conversions so that no compiler fuses a multiply-add.
func (l *Local) addGroup(acc, group []float64, f *features, share float64) {
	if len(f.hashes) == 0 {
		return
	}
	d := uint64(l.dims)
	// Sorting groups equal features, so their count is the length of a run.
	slices.Sort(f.hashes)
	for i := 0; i < len(f.hashes); {
		h := f.hashes[i]
		j := i + 1
		for j < len(f.hashes) && f.hashes[j] == h {
			j++
		}
		w := tfWeight(j - i)
		if h>>63 != 0 {
			w = -w
		}
		group[h%d] += w
		i = j
	}
	var norm float64
	for _, x := range group {
		norm += float64(x * x)
	}
	if norm > 0 {
		scale := math.Sqrt(share / norm)
		for i, x := range group {
			acc[i] += float64(x * scale)
		}
	}
	clear(group)
	f.hashes = f.hashes[:0]
}

// tfWeight is 1+ln(tf) rounded to a multiple of 2⁻²⁰.
func tfWeight(tf int) float64 {
	const quantum = 1 << 20
	return math.Round((1+math.Log(float64(tf)))*quantum) / quantum
}

// features collects the hashes of one group's features, repeats included.
type features struct {
	hashes []uint64
}

func (f *features) add(group byte, a, b string) {
	h := fnvByte(fnvOffset, group)
	h = fnvString(h, a)
	if b != "" {
		h = fnvByte(h, ' ')
		h = fnvString(h, b)
	}
	f.hashes = append(f.hashes, mix64(h))
}

func (f *features) addBytes(group byte, p []byte) {
	h := fnvByte(fnvOffset, group)
	for _, c := range p {
		h = fnvByte(h, c)
	}
	f.hashes = append(f.hashes, mix64(h))
}

// FNV-1a, 64 bit. Its constants are the fixed seed of the embedder.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvByte(h uint64, c byte) uint64 { return (h ^ uint64(c)) * fnvPrime }

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = fnvByte(h, s[i])
	}
	return h
}

// mix64 is the MurmurHash3 finaliser: FNV-1a's low bits, used for the
// bucket, and its high bit, used for the sign, are poorly mixed on their own.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// tokenize lowercases text and splits it into runs of letters, digits and
// combining marks. Single Latin-script characters are dropped as noise;
// single CJK characters, which are words, are kept.
func tokenize(text string) []string {
	var tokens []string
	var buf []byte
	runes := 0
	flush := func() {
		if runes > 1 || (runes == 1 && decodeFirst(buf) >= 0x2E80) {
			tokens = append(tokens, string(buf))
		}
		buf, runes = buf[:0], 0
	}
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || (runes > 0 && unicode.Is(unicode.Mn, r)) {
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
			runes++
			continue
		}
		flush()
	}
	flush()
	return tokens
}

func decodeFirst(p []byte) rune {
	r, _ := utf8.DecodeRune(p)
	return r
}

// contentTokens drops stop words, unless nothing else is left.
func contentTokens(tokens []string) []string {
	kept := make([]string, 0, len(tokens))
	for _, t := range tokens {
		if !stopWords[t] {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		return tokens
	}
	return kept
}

// stopWords are frequent function words of English and German. Without
// corpus statistics (no IDF), they would make every pair of texts in the
// same language look alike. The list is part of LocalModel's algorithm.
var stopWords = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range [...]string{
		// English
		"about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
		"be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
		"can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from",
		"further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him",
		"himself", "his", "how", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more",
		"most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or",
		"other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so",
		"some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then",
		"there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up",
		"very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why",
		"will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "let", "may",
		"might", "must", "shall", "us", "get", "gets", "got", "make", "makes", "like", "one", "two",
		// German
		"aber", "als", "am", "an", "auch", "auf", "aus", "bei", "bin", "bis", "bist", "da", "damit",
		"dann", "das", "dass", "dem", "den", "denn", "der", "des", "die", "dies", "diese", "dieser",
		"dieses", "doch", "dort", "du", "durch", "ein", "eine", "einem", "einen", "einer", "eines",
		"er", "es", "für", "hat", "hatte", "ich", "ihr", "ihre", "im", "in", "ist", "ja", "kann",
		"mit", "nach", "nicht", "noch", "nur", "ob", "oder", "sehr", "sein", "seine", "sich", "sie",
		"sind", "so", "über", "um", "und", "uns", "unter", "vom", "von", "vor", "war", "waren", "was",
		"wenn", "werden", "wie", "wir", "wird", "wo", "zu", "zum", "zur",
	} {
		m[w] = true
	}
	return m
}()
