package host

import "strings"

// Rule is one network.domains entry for a Matcher.
type Rule struct {
	Pattern Pattern
	Allow   bool // false: deny
	ID      int  // the caller's index, to report which rule decided
}

// Check enforces the spec's one rule on effects: "*" may only be allowed.
// A deny of "*" would block every host, allowlisted ones included
// (deny-everything-pattern.md), so it is an error, not a way to say
// "nothing else".
func (r Rule) Check() error {
	if r.Pattern.Kind == Any && !r.Allow {
		return &Error{Input: "*", Msg: `"*" may only be allowed: a deny of "*" would block ` +
			"every host, allowlisted ones included; hosts no entry allows are refused already"}
	}
	return nil
}

// Verdict is a Matcher's decision on one host. Deny and Allow point into
// the Matcher's own copy of the rules: read them, do not change them.
type Verdict struct {
	Allowed bool
	// Deny is the most specific deny that matched, if any; it decided.
	Deny *Rule
	// Allow is the most specific allow that matched, if any, even when a
	// deny overrode it.
	Allow *Rule
	// Malformed is set when the host was not canonical: it is refused,
	// since a spelling Canonical would rewrite could slip past a deny.
	Malformed bool
}

// Matcher decides canonical hosts against many patterns: deny wins over
// allow at any specificity, and a host no allow matches is refused. The
// patterns sit in a trie keyed by label from the TLD down, so a decision
// costs one map lookup per label of the host, whatever the rule count.
// A Matcher is immutable and safe for concurrent use.
type Matcher struct {
	rules []Rule // a copy; Verdicts point into it
	root  node
	any   [2]*Rule // "*" by effect
}

// node is one label of the trie: the suffix of a host from the TLD down.
type node struct {
	kids map[string]*node
	// rule[kind][effect] holds the first rule of that kind and effect
	// (effect 0 deny, 1 allow) whose host is this node; Any is not here.
	rule [3][2]*Rule
}

// NewMatcher builds a Matcher. Patterns must come from ParsePattern (or be
// canonical in the same way); a rule of an unknown Kind never matches.
// When the same pattern and effect repeat, the first rule reports.
func NewMatcher(rules []Rule) *Matcher {
	m := &Matcher{rules: append([]Rule(nil), rules...)}
	for i := range m.rules {
		r := &m.rules[i]
		switch k := r.Pattern.Kind; {
		case k == Any:
			setOnce(&m.any[effect(r)], r)
		case k < Any:
			setOnce(&m.root.insert(r.Pattern.Host).rule[k][effect(r)], r)
		}
	}
	return m
}

func effect(r *Rule) int {
	if r.Allow {
		return 1
	}
	return 0
}

func setOnce(slot **Rule, r *Rule) {
	if *slot == nil {
		*slot = r
	}
}

// insert finds or makes the node for a host, creating labels from the TLD.
func (n *node) insert(h string) *node {
	for rest := h; ; {
		i := strings.LastIndexByte(rest, '.')
		n = n.child(rest[i+1:])
		if i < 0 {
			return n
		}
		rest = rest[:i]
	}
}

func (n *node) child(label string) *node {
	if c := n.kids[label]; c != nil {
		return c
	}
	if n.kids == nil {
		n.kids = make(map[string]*node)
	}
	c := &node{}
	n.kids[label] = c
	return c
}

// pick keeps the most specific rule seen for one effect.
type pick struct {
	r    *Rule
	rank int
}

func (p *pick) offer(r *Rule, rank int) {
	if r != nil && (p.r == nil || rank > p.rank) {
		p.r, p.rank = r, rank
	}
}

// Ranks within one trie depth: an exact rule is more specific than "*.x",
// which is more specific than "**.x". "*" ranks below everything.
const (
	rankApexSub = 1
	rankSub     = 2
	rankExact   = 3
	rankStep    = 4
)

// Decide decides a canonical host (see Canonical). A host that is not
// canonical is refused with Malformed set.
func (m *Matcher) Decide(h string) Verdict {
	ip, ok := classify(h)
	if !ok {
		return Verdict{Malformed: true}
	}
	var best [2]pick
	m.walk(h, ip, &best)
	best[0].offer(m.any[0], 0)
	best[1].offer(m.any[1], 0)
	v := Verdict{Deny: best[0].r, Allow: best[1].r}
	v.Allowed = v.Deny == nil && v.Allow != nil
	return v
}

// walk visits the trie along the host's labels from the TLD, offering
// every rule that applies: at the host's own node exact and "**.x" rules,
// above it "*.x" and "**.x" rules. Wildcards never apply to IP literals.
func (m *Matcher) walk(h string, ip bool, best *[2]pick) {
	n, rest := &m.root, h
	for depth := rankStep; ; depth += rankStep {
		i := strings.LastIndexByte(rest, '.')
		if n = n.kids[rest[i+1:]]; n == nil {
			return
		}
		for e := range best {
			if i < 0 {
				best[e].offer(n.rule[Exact][e], depth+rankExact)
			} else if !ip {
				best[e].offer(n.rule[Sub][e], depth+rankSub)
			}
			if !ip {
				best[e].offer(n.rule[ApexSub][e], depth+rankApexSub)
			}
		}
		if i < 0 {
			return
		}
		rest = rest[:i]
	}
}

// ExactlyAllowed reports whether an exact allow entry names this canonical
// host and no deny matches it: the exception the local/private guard makes
// for an allowlisted literal. Wildcards and "*" never count.
func (m *Matcher) ExactlyAllowed(h string) bool {
	v := m.Decide(h)
	return v.Allowed && v.Allow.Pattern.Kind == Exact
}

// classify is a cheap, single-pass test that h is canonical: an IP literal
// exactly as Canonical writes it, or a name of labels in the host alphabet
// without empty ones. It also says whether h is an IP literal (see
// isIPLiteral). Label lengths and punycode are not rechecked: they cannot
// make two spellings of one host.
func classify(h string) (ip, ok bool) {
	if h == "" || len(h) > 253 {
		return false, false
	}
	nameOK, prevDot, last := true, true, 0
	for i := 0; i < len(h); i++ {
		switch c := h[i]; {
		case c == '.':
			nameOK = nameOK && !prevDot
			prevDot, last = true, i+1
			continue
		case c == ':':
			_, ok := ParseIP(h)
			return true, ok
		case !nameByte[c]:
			nameOK = false
		}
		prevDot = false
	}
	if numberLabel(h[last:]) {
		return true, isDottedQuad(h)
	}
	return false, nameOK && !prevDot
}

// isDottedQuad reports whether h is four decimal bytes without leading
// zeros, the only IPv4 spelling Canonical writes.
func isDottedQuad(h string) bool {
	for range 3 {
		i := strings.IndexByte(h, '.')
		if i < 0 || !isByte(h[:i]) {
			return false
		}
		h = h[i+1:]
	}
	return strings.IndexByte(h, '.') < 0 && isByte(h)
}

// isByte reports whether p is a decimal 0-255 without leading zeros.
func isByte(p string) bool {
	if p == "" || len(p) > 3 || len(p) > 1 && p[0] == '0' || !allDigits(p) {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		n = n*10 + int(p[i]-'0')
	}
	return n <= 255
}
