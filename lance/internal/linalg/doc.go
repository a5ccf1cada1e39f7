// Package linalg holds the float32 distance kernels behind vector search:
// dot products, squared euclidean distances and norms, for one pair of
// vectors or for one query against many vectors stored back to back.
//
// # Implementations
//
// On amd64 with AVX2 and FMA, and on arm64 with Advanced SIMD (NEON), the
// kernels are hand-written assembly that keeps eight vector accumulators in
// flight to hide multiply-add latency. Everywhere else, and whenever the
// package is built with the purego tag, an unrolled pure-Go version is used.
// The choice is made once, when the package initialises, from the CPU
// features golang.org/x/sys/cpu reports, and never changes; [Impl] names it.
// The implementations agree to within float32 rounding of a differently
// ordered sum, not bit for bit: the assembly fuses multiply and add.
//
// The arm64 kernels are tested under qemu-aarch64
// (GOARCH=arm64 go test -exec qemu-aarch64-static).
//
// # Distances as Lance reports them
//
// The values returned by [Scorer] are the ones Lance puts in the _distance
// column of a flat (exact) nearest-neighbour search, so that results can be
// compared with LanceDB number for number. Read from rust/lance-linalg in the
// Lance sources (src/distance.rs, src/distance/{l2,cosine,dot}.rs):
//
//   - l2 (alias "euclidean"): the squared euclidean distance Σ(qᵢ−vᵢ)², with
//     no square root (l2.rs, l2 / l2_distance_batch).
//   - cosine: 1 − (q·v) / ‖q‖ / ‖v‖, divided in that order, with ‖q‖ computed
//     once per query (cosine.rs, cosine_batch and cosine_fast). The range is
//     [0, 2]. Nothing guards zero vectors: a zero v, or a zero query, gives
//     0/0 = NaN.
//   - dot: 1 − q·v (dot.rs, dot_distance). This is not a "negative dot
//     product"; it is shifted by one, so it is negative whenever q·v > 1 and
//     is only a true distance for unit vectors.
//
// Any NaN component in q or v makes the distance NaN for every metric.
// What a search does with NaN distances is decided in package knn; the
// metric names are parsed case-insensitively as in DistanceType's TryFrom
// (distance.rs). Hamming distance is not provided.
package linalg
