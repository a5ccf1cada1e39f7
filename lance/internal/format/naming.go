package format

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Directory and file names of the table layout, relative to the dataset root.
const (
	VersionsDir     = "_versions"
	DataDir         = "data"
	DeletionsDir    = "_deletions"
	IndicesDir      = "_indices"
	TransactionsDir = "_transactions"
	// VersionHintFile holds {"version":N}; an optimisation only, never
	// authoritative.
	VersionHintFile = VersionsDir + "/latest_version_hint.json"
	manifestSuffix  = ".manifest"
	// v2NameLen is the length of a V2 manifest name: 20 digits + ".manifest".
	v2NameLen = 20 + len(manifestSuffix)
)

// NamingScheme says how manifest files of a dataset are named.
type NamingScheme int

const (
	// SchemeUnknown is the zero value: no manifest seen yet.
	SchemeUnknown NamingScheme = iota
	// SchemeV1 names manifests "_versions/{version}.manifest".
	SchemeV1
	// SchemeV2 names manifests "_versions/{u64max-version:020}.manifest" so
	// that a lexical listing returns the newest version first.
	SchemeV2
)

// String returns "V1", "V2" or "unknown".
func (s NamingScheme) String() string {
	switch s {
	case SchemeV1:
		return "V1"
	case SchemeV2:
		return "V2"
	}
	return "unknown"
}

// ManifestPath returns the dataset-relative path of a version's manifest.
// SchemeUnknown is treated as V1, Lance's historical default.
func (s NamingScheme) ManifestPath(version uint64) string {
	return VersionsDir + "/" + s.ManifestName(version)
}

// ManifestName returns the base name of a version's manifest.
func (s NamingScheme) ManifestName(version uint64) string {
	if s == SchemeV2 {
		return fmt.Sprintf("%020d%s", uint64(math.MaxUint64)-version, manifestSuffix)
	}
	return strconv.FormatUint(version, 10) + manifestSuffix
}

// DetachedManifestPath returns the path of a detached version's manifest.
// Detached versions never count as the latest version.
func DetachedManifestPath(version uint64) string {
	return VersionsDir + "/d" + strconv.FormatUint(version, 10) + manifestSuffix
}

// ParseManifestName decodes a base name found in _versions. It reports
// ok=false for anything that is not a committed manifest of a recognised
// scheme: staging files ("5.manifest#1"), temp files, detached manifests
// ("d5.manifest"), the version hint and stray names.
func ParseManifestName(name string) (version uint64, scheme NamingScheme, ok bool) {
	stem, found := strings.CutSuffix(name, manifestSuffix)
	if !found || stem == "" {
		return 0, SchemeUnknown, false
	}
	for i := 0; i < len(stem); i++ {
		if stem[i] < '0' || stem[i] > '9' {
			return 0, SchemeUnknown, false
		}
	}
	n, err := strconv.ParseUint(stem, 10, 64)
	if err != nil {
		return 0, SchemeUnknown, false
	}
	if len(name) == v2NameLen {
		v := uint64(math.MaxUint64) - n
		if v == 0 {
			return 0, SchemeUnknown, false
		}
		return v, SchemeV2, true
	}
	return n, SchemeV1, true
}
