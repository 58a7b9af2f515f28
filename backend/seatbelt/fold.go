package seatbelt

import (
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// regexMeta are the characters RegexQuote escapes: every character with a
// meaning in the regex dialect outside a bracket expression.
const regexMeta = `\.+*?()|[]{}^$`

// RegexQuote returns s with every regex metacharacter escaped, so that the
// result matches exactly s. It is the function the evaluator uses for
// SBPL's regex-quote, and the one the loader uses to build regex parameters.
func RegexQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		writeLiteral(&b, r)
	}
	return b.String()
}

func writeLiteral(b *strings.Builder, r rune) {
	if r < utf8.RuneSelf && strings.IndexByte(regexMeta, byte(r)) >= 0 {
		b.WriteByte('\\')
	}
	b.WriteRune(r)
}

// FoldRegex returns a regex fragment matching every spelling of s that
// differs only in case, the way ir.Decide compares denies on macOS: rune by
// rune, equal under unicode.ToLower. Letters become bracket expressions
// ([Ee]); never (?i). The fragment has no anchors.
func FoldRegex(s string) string {
	var b strings.Builder
	for _, r := range s {
		writeFolded(&b, r)
	}
	return b.String()
}

func writeFolded(b *strings.Builder, r rune) {
	if r < utf8.RuneSelf {
		asciiOnce.Do(buildASCIIFold)
		b.WriteString(asciiFold[r])
		return
	}
	b.WriteString(foldRune(r))
}

// foldRune renders the runes equal to r under unicode.ToLower.
func foldRune(r rune) string {
	set := lowerPreimage(unicode.ToLower(r))
	if len(set) == 1 && set[0] == r {
		var b strings.Builder
		writeLiteral(&b, r)
		return b.String()
	}
	return classOf(false, runesToRanges(set))
}

// UpRegex returns an anchored regex matching the path p and each of its
// ancestors, "/" included, case-folded. The loader binds it for rename
// guards; Compile uses it for absolute paths.
func UpRegex(p string) string {
	comps := splitClean(p)
	var b strings.Builder
	b.WriteString("^/")
	for i, c := range comps {
		b.WriteString("(")
		if i > 0 {
			b.WriteString("/")
		}
		b.WriteString(FoldRegex(c))
	}
	for range comps {
		b.WriteString(")?")
	}
	b.WriteString("$")
	return b.String()
}

func splitClean(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

var (
	caseOnce  sync.Once
	asciiOnce sync.Once
	// lowerInv maps a rune to the other runes whose lower case it is.
	lowerInv map[rune][]rune
	// asciiFold caches foldRune for ASCII ("[Kk\u212a]" for k).
	asciiFold [utf8.RuneSelf]string
)

// lowerPreimage returns the runes r with unicode.ToLower(r) == l, sorted.
func lowerPreimage(l rune) []rune {
	var inv []rune
	if l < utf8.RuneSelf {
		asciiInvOnce.Do(buildASCIILowerInv)
		inv = asciiLowerInv[l]
	} else {
		caseOnce.Do(buildLowerInv)
		inv = lowerInv[l]
	}
	out := append([]rune(nil), inv...)
	if unicode.ToLower(l) == l {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// buildLowerInv walks unicode.CaseRanges, the only runes ToLower changes.
func buildLowerInv() {
	lowerInv = map[rune][]rune{}
	for _, cr := range unicode.CaseRanges {
		for r := rune(cr.Lo); r <= rune(cr.Hi); r++ {
			if l := unicode.ToLower(r); l != r {
				lowerInv[l] = append(lowerInv[l], r)
			}
		}
	}
}

var (
	asciiInvOnce sync.Once
	// asciiLowerInv is lowerInv for the ASCII lower cases: all that
	// FoldRegex needs for ASCII, which most paths are.
	asciiLowerInv [utf8.RuneSelf][]rune
)

// buildASCIILowerInv fills asciiLowerInv as buildLowerInv would, walking
// only the case ranges whose lower cases can be ASCII: unicode.ToLower
// maps a rune of a range to the rune plus its delta, or, in an
// alternating upper-lower range, to itself or the rune after it.
func buildASCIILowerInv() {
	for _, cr := range unicode.CaseRanges {
		lo, hi := rune(cr.Lo), rune(cr.Hi)
		least := lo // the least lower case the range can map to
		if d := cr.Delta[unicode.LowerCase]; d <= unicode.MaxRune {
			least = min(lo, lo+d)
		}
		if least >= utf8.RuneSelf {
			continue
		}
		for r := lo; r <= hi; r++ {
			if l := unicode.ToLower(r); l != r && l < utf8.RuneSelf {
				asciiLowerInv[l] = append(asciiLowerInv[l], r)
			}
		}
	}
}

func buildASCIIFold() {
	for r := rune(0); r < utf8.RuneSelf; r++ {
		asciiFold[r] = foldRune(r)
	}
}

// foldRange returns the runes whose lower case lies in [lo, hi].
func foldRange(lo, hi rune) runeRanges {
	caseOnce.Do(buildLowerInv)
	rr := runeRanges{{lo, hi}}
	// Runes in the range that are not their own lower case do not match.
	var drop []rune
	for _, cr := range unicode.CaseRanges {
		a, z := max(rune(cr.Lo), lo), min(rune(cr.Hi), hi)
		for r := a; r <= z; r++ {
			if unicode.ToLower(r) != r {
				drop = append(drop, r)
			}
		}
	}
	rr = rr.minus(drop)
	var add []rune
	for l, rs := range lowerInv {
		if l >= lo && l <= hi {
			add = append(add, rs...)
		}
	}
	return rr.plus(runesToRanges(add)).norm()
}

// runeRanges is a set of runes as closed intervals.
type runeRanges [][2]rune

func runesToRanges(rs []rune) runeRanges {
	out := make(runeRanges, 0, len(rs))
	for _, r := range rs {
		out = append(out, [2]rune{r, r})
	}
	return out.norm()
}

// norm sorts and merges the intervals.
func (rr runeRanges) norm() runeRanges {
	s := append(runeRanges(nil), rr...)
	sort.Slice(s, func(i, j int) bool { return s[i][0] < s[j][0] })
	var out runeRanges
	for _, r := range s {
		if r[0] > r[1] {
			continue
		}
		if n := len(out); n > 0 && r[0] <= out[n-1][1]+1 {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

func (rr runeRanges) plus(o runeRanges) runeRanges {
	return append(append(runeRanges(nil), rr...), o...).norm()
}

// minus removes single runes from the set.
func (rr runeRanges) minus(rs []rune) runeRanges {
	out := rr.norm()
	for _, x := range rs {
		var next runeRanges
		for _, r := range out {
			if x < r[0] || x > r[1] {
				next = append(next, r)
				continue
			}
			next = append(next, [2]rune{r[0], x - 1}, [2]rune{x + 1, r[1]})
		}
		out = next.norm()
	}
	return out
}

func (rr runeRanges) has(x rune) bool {
	for _, r := range rr {
		if x >= r[0] && x <= r[1] {
			return true
		}
	}
	return false
}

func (rr runeRanges) size() int {
	n := 0
	for _, r := range rr {
		n += int(r[1]-r[0]) + 1
	}
	return n
}

// classSpecial are the runes a bracket expression must place with care:
// they read differently in POSIX and Go unless positioned as classOf does.
const classSpecial = `]\[^-`

// classOf renders a set of runes as a bracket expression (negated when neg)
// that POSIX extended regexes and Go's regexp read alike: "]" first, "\"
// doubled, "[" and "^" late, "-" last. A positive set of one rune becomes
// an escaped literal.
func classOf(neg bool, rr runeRanges) string {
	rr = rr.norm()
	if !neg && rr.size() == 1 {
		var b strings.Builder
		writeLiteral(&b, rr[0][0])
		return b.String()
	}
	if neg && len(rr) == 0 {
		return "."
	}
	var specials []rune
	for _, c := range classSpecial {
		if rr.has(c) {
			specials = append(specials, c)
		}
	}
	plain := rr.minus(specials)
	var b strings.Builder
	b.WriteString("[")
	if neg {
		b.WriteString("^")
	}
	writeClassBody(&b, neg, plain, specials)
	b.WriteString("]")
	return b.String()
}

func writeClassBody(b *strings.Builder, neg bool, plain runeRanges, specials []rune) {
	has := func(c rune) bool {
		for _, s := range specials {
			if s == c {
				return true
			}
		}
		return false
	}
	n := 0
	if has(']') {
		b.WriteString("]")
		n++
	}
	for _, r := range plain {
		b.WriteRune(r[0])
		switch {
		case r[1] == r[0]+1:
			b.WriteRune(r[1])
		case r[1] > r[0]:
			b.WriteString("-")
			b.WriteRune(r[1])
		}
		n++
	}
	if has('\\') {
		b.WriteString(`\\`)
		n++
	}
	if has('[') {
		b.WriteString("[")
		n++
	}
	dash := has('-')
	if has('^') {
		// A "^" right after "[" would negate; lead with "-" instead.
		if n == 0 && !neg && dash {
			b.WriteString("-")
			dash = false
		}
		b.WriteString("^")
	}
	if dash {
		b.WriteString("-")
	}
}
