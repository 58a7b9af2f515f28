package diag

import "strings"

// maxSuggest bounds the words Closest compares: a typo of a longer name is
// not worth a table of len(s)×len(k) cells, which a hostile config could
// make gigabytes.
const maxSuggest = 64

// Closest returns the known word nearest to s by edit distance, when it is
// near enough to be a likely typo.
func Closest(s string, known []string) string {
	if s == "" || len(s) > maxSuggest {
		return ""
	}
	best, bestD := "", len(s)/3+2
	prefixed := ""
	for _, k := range known {
		if len(s) >= 3 && strings.HasPrefix(k, s) {
			if prefixed != "" {
				prefixed = "\x00" // ambiguous
			} else {
				prefixed = k
			}
		}
	}
	if prefixed != "" && prefixed != "\x00" {
		return prefixed
	}
	for _, k := range known {
		// The distance is at least a quarter of the difference in bytes.
		if len(k) > maxSuggest || abs(len(k)-len(s)) >= 4*bestD {
			continue
		}
		if d := editDistance(s, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Damerau–Levenshtein distance (adjacent swaps count
// as one edit).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range rb {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
