// Package vector is the in-memory IVF_PQ vector index: training, encoding
// and searching, with the data laid out as Lance's v3 index files hold it so
// that reading and writing those files is a matter of moving slices.
//
// # Model
//
// An [Index] holds the metric, the IVF centroids (partitions × dim), the PQ
// codebook ([pq.Codebook], m × 2^nbits × dim/m floats as Lance stores it) and, per
// partition, the row ids and the PQ codes transposed as Lance stores them
// (all sub-vector-0 codes of the partition, then sub-vector 1, …). A model
// assembled from files is checked by [Index.Validate] before its first
// search.
//
// # Building
//
// [Build] reads a [Source] twice. The first pass draws one random sample
// (partitions × 256 rows for IVF, as Lance does, and [DefaultPQSampleSize]
// rows for the codebook). IVF centroids are trained by k-means
// (package kmeans); the codebook by one k-means per sub-vector on the
// residuals (vector − nearest centroid) for L2 and cosine, or on the vectors
// for dot (Lance's PQBuildParams::use_residual). The second pass assigns and
// encodes every row. Cosine is handled as in Lance: vectors are normalised
// and everything else is L2. Work runs on a bounded number of goroutines,
// k-means reports progress, and cancelling the context stops every stage.
// With a fixed Seed the model is the same whatever the number of workers.
//
//	ix, stats, err := vector.Build(ctx, vector.SliceSource(vecs, dim, rowIDs, 0),
//		vector.BuildOptions{Metric: linalg.MetricCosine})
//
// # Searching
//
// [Index.Search] picks the NProbes partitions whose centroids are nearest to
// the query (normalised first for cosine), scores their rows from the PQ
// codes, keeps K·RefineFactor candidates and, when refining, re-ranks them
// by exact distance over vectors returned by a [FetchFunc].
//
//	res, err := ix.Search(ctx, q, vector.SearchParams{K: 10, NProbes: 20, RefineFactor: 10}, fetch)
//
// For L2 and cosine, Lance builds one residual distance table per probed
// partition (‖(q − c)ⱼ − y‖² for every sub-vector j and code y). Here the
// same quantity is split as ‖q − c‖² + (‖y‖² + 2c·y) − 2q·y: the first term
// falls out of choosing the partitions, the second is summed once per row
// when the model is prepared, and the last needs one table per query. The
// per-partition table build disappears (with 128 sub-vectors of 8 floats it
// is 262 144 multiply-adds per partition, more than scanning a few hundred
// rows' codes); the scan over codes is unchanged.
//
// # Checked against LanceDB
//
// TestLanceDBIndexAgrees has LanceDB 0.39 build IVF_PQ indexes (l2, cosine,
// dot), loads its index.idx and auxiliary.idx into an Index, and checks that
// the stored codes are this package's encoding of LanceDB's own residuals
// against LanceDB's own codebook, in the transposed order, and that Search
// returns LanceDB's rows and _distance values with and without refining.
// Unrefined cosine distances are, in LanceDB as here, squared L2 between the
// normalised query and the PQ reconstruction, not 1 − cos.
//
// # Packages
//
//   - kmeans: Train (Lloyd with early stop, random or k-means++ seeding,
//     empty-cluster splitting, progress, cancellation), Sample, and Assigner
//     (nearest centroid for one row or many, with AVX2 kernels for short
//     sub-vectors and for long vectors two rows by four centroids at a time).
//   - pq: Codebook (Lance's layout), Train, Encode, Decode, Transpose, the
//     distance tables (TableL2, TableDot, TableInner) and ScanTransposed,
//     the ADC loop over transposed codes.
//   - ivf: Assign, Prober (the nprobes nearest partitions), Residual,
//     Normalize, and which metric and residual rule an index metric implies.
//   - vector (this package): Index, Build, Search and the defaults.
//
// The defaults (√n partitions, dim/8 sub-vectors of 8 bits, codebook trained
// on 16 384 rows, at most 10 IVF iterations, 20 probes, refine 10) were
// chosen from measurements on the benchmark workload, recorded in TUNING.md
// next to this file together with the way to reproduce them (TestSweep).
package vector
