package format

import "testing"

func TestManifestNames(t *testing.T) {
	for _, tc := range []struct {
		scheme  NamingScheme
		version uint64
		name    string
	}{
		{SchemeV1, 1, "1.manifest"},
		{SchemeV1, 30000, "30000.manifest"},
		{SchemeV2, 1, "18446744073709551614.manifest"},
		{SchemeV2, 13, "18446744073709551602.manifest"},
		{SchemeV2, 18446744073709551614, "00000000000000000001.manifest"},
	} {
		if got := tc.scheme.ManifestName(tc.version); got != tc.name {
			t.Errorf("%s v%d = %q, want %q", tc.scheme, tc.version, got, tc.name)
		}
		v, s, ok := ParseManifestName(tc.name)
		if !ok || v != tc.version || s != tc.scheme {
			t.Errorf("parse %q = %d %s %v", tc.name, v, s, ok)
		}
	}
	if got := SchemeV2.ManifestPath(1); got != "_versions/18446744073709551614.manifest" {
		t.Errorf("path %q", got)
	}
	if got := DetachedManifestPath(7); got != "_versions/d7.manifest" {
		t.Errorf("detached path %q", got)
	}
}

func TestParseManifestNameSkips(t *testing.T) {
	for _, name := range []string{
		"d5.manifest", "5.manifest#1", "18446744073709551614.manifest#2", "5.manifest.tmp",
		".tmp_5.manifest", "latest_version_hint.json", ".manifest", "x.manifest", "-1.manifest",
		"99999999999999999999999.manifest", "18446744073709551615.manifest", "+5.manifest",
	} {
		if v, s, ok := ParseManifestName(name); ok {
			t.Errorf("%q parsed as %d %s", name, v, s)
		}
	}
}
