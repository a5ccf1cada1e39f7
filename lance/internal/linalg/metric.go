package linalg

import (
	"fmt"
	"strings"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// Metric is a vector distance type as Lance names it.
type Metric int

const (
	// MetricL2 is the squared euclidean distance.
	MetricL2 Metric = iota
	// MetricCosine is 1 − cos(q, v).
	MetricCosine
	// MetricDot is 1 − q·v.
	MetricDot
)

// ParseMetric reads a metric name as Lance accepts it: "l2" or "euclidean",
// "cosine", "dot", in any letter case. Other names, "hamming" included, are
// an ErrInvalidArgument.
func ParseMetric(s string) (Metric, error) {
	switch strings.ToLower(s) {
	case "l2", "euclidean":
		return MetricL2, nil
	case "cosine":
		return MetricCosine, nil
	case "dot":
		return MetricDot, nil
	}
	return 0, fmt.Errorf("%w: distance type %q is not supported (want l2, euclidean, cosine or dot)",
		lanceerr.ErrInvalidArgument, s)
}

// String returns the name Lance writes for m: "l2", "cosine" or "dot".
func (m Metric) String() string {
	switch m {
	case MetricL2:
		return "l2"
	case MetricCosine:
		return "cosine"
	case MetricDot:
		return "dot"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

func (m Metric) valid() bool { return m >= MetricL2 && m <= MetricDot }
