package provider

import "strings"

// stem strips common English inflections from a lowercase token so that
// word features match across forms (tomato/tomatoes, water/watering,
// plan/planning, bake/baking). It is deliberately crude: it only has to map
// the forms of one word to one key, not produce a dictionary word. Tokens
// with other than ASCII letters, and short tokens, are left alone. The rules
// are part of LocalModel's algorithm.
func stem(w string) string {
	if len(w) < 4 {
		return w
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return w
		}
	}
	switch {
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "oes"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"),
		strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "zes"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s"):
		w = w[:len(w)-1]
	}
	for _, suffix := range [...]string{"ing", "ed", "ly"} {
		if strings.HasSuffix(w, suffix) && len(w)-len(suffix) >= 3 && hasVowel(w[:len(w)-len(suffix)]) {
			w = w[:len(w)-len(suffix)]
			if n := len(w); w[n-1] == w[n-2] && !strings.ContainsRune("aeioulsz", rune(w[n-1])) {
				w = w[:n-1] // running → run, planned → plan
			}
			break
		}
	}
	if len(w) > 3 && w[len(w)-1] == 'e' {
		w = w[:len(w)-1]
	}
	return w
}

func hasVowel(s string) bool { return strings.ContainsAny(s, "aeiouy") }
