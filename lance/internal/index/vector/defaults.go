package vector

// Defaults, chosen from the measurements in TUNING.md (150k × 1024-dim
// embeddings, cosine): with them the index reached recall@10 = 1.000 at a
// thread-CPU p50 of about 0.5 ms per query, built in about 20 s of CPU time
// on two cores. DefaultPartitions and DefaultSubVectors in build.go
// complete the set.
const (
	// DefaultIVFMaxIters caps the IVF k-means. Lance allows 50 with an early
	// stop at 1e-4 relative change, which ended after 10–17 iterations here;
	// capping at 5 or 10 gave the same recall for a third less build time.
	DefaultIVFMaxIters = 10
	// DefaultPQSampleSize is the number of rows the codebook is trained on.
	// Lance uses 256 per centroid (65 536); a quarter of that gave the same
	// recall at a seventh of the PQ training cost.
	DefaultPQSampleSize = 16384
	// DefaultPQMaxIters caps each sub-vector's k-means (Lance: 50). 10
	// iterations on 8 192 rows still matched; 25 keeps a margin.
	DefaultPQMaxIters = 25
	// DefaultNProbes is the number of partitions a query scans. 5 already
	// reached recall 1.000 here with refining; 20 keeps a margin for corpora
	// that IVF separates less well, and matches the LanceDB settings
	// compared against (nprobes 20, refine 10 → 0.978 at 12.7 ms).
	DefaultNProbes = 20
	// DefaultRefineFactor re-ranks K·10 PQ candidates by exact distance.
	// Without refining, recall is bounded by the PQ (0.79 here); with a
	// factor of 5 or more it was ≥ 0.998 for 64 sub-vectors and up.
	DefaultRefineFactor = 10
)
