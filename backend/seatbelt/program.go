package seatbelt

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Parsed is an SBPL profile read into rules whose strings may still name
// parameters. Parse it once and Resolve it for each binding.
type Parsed struct {
	Rules  []*Rule
	params map[string]bool
}

// Rule is one allow or deny form, in source order.
type Rule struct {
	Line    int      // line of the form in the source
	Comment string   // the ";" comment lines right before it, joined by newlines
	Text    string   // the form as written
	Allow   bool     // allow rather than deny
	Ops     []string // operation names and families
	filters []*filter
}

type filter struct {
	kind string // see the table in the package doc
	arg  *expr  // the string operand, if any
	sub  []*filter
}

// expr is a string expression: a literal, (param), (string-append),
// (regex-quote).
type expr struct {
	lit   *string
	param string
	fn    string
	args  []*expr
}

// Parse reads SBPL in the subset permc emits. It rejects any form,
// operation, filter or modifier it does not model.
func Parse(src []byte) (*Parsed, error) {
	nodes, err := readNodes(src)
	if err != nil {
		return nil, err
	}
	if len(nodes) == 0 || !isVersion1(nodes[0]) {
		return nil, fmt.Errorf("sbpl: the profile must start with (version 1)")
	}
	p := &Parsed{params: map[string]bool{}}
	hasDefault := false
	for _, n := range nodes[1:] {
		r, err := p.rule(n)
		if err != nil {
			return nil, fmt.Errorf("sbpl:%d: %w", n.line, err)
		}
		hasDefault = hasDefault || (len(r.filters) == 0 && contains(r.Ops, "default"))
		p.Rules = append(p.Rules, r)
	}
	if !hasDefault {
		return nil, fmt.Errorf("sbpl: no (deny default) or (allow default) rule")
	}
	return p, nil
}

func isVersion1(n *node) bool {
	return n.kind == nodeList && n.text == "version" && len(n.args) == 1 &&
		n.args[0].kind == nodeNum && n.args[0].text == "1"
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Params lists the parameter names the profile uses, sorted.
func (p *Parsed) Params() []string {
	out := make([]string, 0, len(p.params))
	for k := range p.params {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (p *Parsed) rule(n *node) (*Rule, error) {
	if n.kind != nodeList || (n.text != "allow" && n.text != "deny") {
		return nil, fmt.Errorf("unsupported top-level form %q", headOf(n))
	}
	r := &Rule{Line: n.line, Comment: strings.Join(n.comments, "\n"), Text: n.src, Allow: n.text == "allow"}
	i := 0
	for ; i < len(n.args) && n.args[i].kind == nodeSym; i++ {
		op := n.args[i].text
		if !knownOp(op) {
			return nil, fmt.Errorf("unknown operation %q", op)
		}
		r.Ops = append(r.Ops, op)
	}
	if len(r.Ops) == 0 {
		return nil, fmt.Errorf("%s names no operation", n.text)
	}
	for _, a := range n.args[i:] {
		f, err := p.filter(a)
		if err != nil {
			return nil, err
		}
		r.filters = append(r.filters, f)
	}
	return r, checkCategories(r)
}

func headOf(n *node) string { return n.text }

// checkCategories rejects filters that mean nothing for an operation.
func checkCategories(r *Rule) error {
	var cats []filterCategory
	for _, f := range r.filters {
		leafCategories(f, &cats)
	}
	for _, op := range r.Ops {
		if op == "default" && len(r.filters) > 0 {
			return fmt.Errorf("default cannot take filters")
		}
		for _, c := range cats {
			if !opTakes(op, c) {
				return fmt.Errorf("operation %s does not take the filters given", op)
			}
		}
	}
	return nil
}

var leafKinds = map[string]filterCategory{
	"literal": catPath, "subpath": catPath, "regex": catPath,
	"remote-ip": catNet, "local-ip": catNet, "remote-unix": catNet, "local-unix": catNet,
	"global-name": catMach, "sysctl-name": catSysctl, "sysctl-name-prefix": catSysctl,
	"ipc-posix-name": catIPC, "target": catTarget,
}

func leafCategories(f *filter, out *[]filterCategory) {
	if c, ok := leafKinds[f.kind]; ok {
		*out = append(*out, c)
	}
	for _, s := range f.sub {
		leafCategories(s, out)
	}
}

func (p *Parsed) filter(n *node) (*filter, error) {
	if n.kind != nodeList {
		return nil, fmt.Errorf("expected a filter, found %q", n.text)
	}
	switch n.text {
	case "literal", "subpath", "regex", "global-name", "sysctl-name", "sysctl-name-prefix",
		"ipc-posix-name":
		return p.unary(n, n.text)
	case "require-all", "require-any", "require-not":
		return p.combinator(n)
	case "remote", "local":
		return p.endpoint(n)
	case "target":
		if len(n.args) != 1 || n.args[0].kind != nodeSym || n.args[0].text != "same-sandbox" {
			return nil, fmt.Errorf("only (target same-sandbox) is supported")
		}
		return &filter{kind: "target"}, nil
	}
	return nil, fmt.Errorf("unsupported filter %q", n.text)
}

func (p *Parsed) unary(n *node, kind string) (*filter, error) {
	if len(n.args) != 1 {
		return nil, fmt.Errorf("(%s) takes one string", n.text)
	}
	e, err := p.expr(n.args[0])
	if err != nil {
		return nil, err
	}
	return &filter{kind: kind, arg: e}, nil
}

func (p *Parsed) combinator(n *node) (*filter, error) {
	if len(n.args) == 0 || (n.text == "require-not" && len(n.args) != 1) {
		return nil, fmt.Errorf("(%s) has the wrong number of filters", n.text)
	}
	f := &filter{kind: n.text}
	for _, a := range n.args {
		s, err := p.filter(a)
		if err != nil {
			return nil, err
		}
		f.sub = append(f.sub, s)
	}
	return f, nil
}

// endpoint reads (remote ip "H:P"), (local ip "H:P") and the unix-socket
// forms with an optional (path-literal "...").
func (p *Parsed) endpoint(n *node) (*filter, error) {
	if len(n.args) == 0 || n.args[0].kind != nodeSym {
		return nil, fmt.Errorf("(%s) needs ip or unix-socket", n.text)
	}
	switch n.args[0].text {
	case "ip":
		if len(n.args) != 2 {
			return nil, fmt.Errorf("(%s ip) takes one address", n.text)
		}
		e, err := p.expr(n.args[1])
		return &filter{kind: n.text + "-ip", arg: e}, err
	case "unix-socket":
		f := &filter{kind: n.text + "-unix"}
		switch {
		case len(n.args) == 1:
			return f, nil
		case len(n.args) == 2 && n.args[1].kind == nodeList && n.args[1].text == "path-literal" &&
			len(n.args[1].args) == 1:
			e, err := p.expr(n.args[1].args[0])
			f.arg = e
			return f, err
		}
		return nil, fmt.Errorf("(%s unix-socket) takes only (path-literal ...)", n.text)
	}
	return nil, fmt.Errorf("unsupported endpoint %q", n.args[0].text)
}

func (p *Parsed) expr(n *node) (*expr, error) {
	switch {
	case n.kind == nodeStr:
		s := n.text
		return &expr{lit: &s}, nil
	case n.kind != nodeList:
		return nil, fmt.Errorf("expected a string, found %q", n.text)
	case n.text == "param":
		if len(n.args) != 1 || n.args[0].kind != nodeStr {
			return nil, fmt.Errorf("(param) takes one string")
		}
		p.params[n.args[0].text] = true
		return &expr{param: n.args[0].text}, nil
	case n.text == "string-append", n.text == "regex-quote":
		return p.call(n)
	}
	return nil, fmt.Errorf("unsupported expression %q", n.text)
}

func (p *Parsed) call(n *node) (*expr, error) {
	if len(n.args) == 0 || (n.text == "regex-quote" && len(n.args) != 1) {
		return nil, fmt.Errorf("(%s) has the wrong number of arguments", n.text)
	}
	e := &expr{fn: n.text}
	for _, a := range n.args {
		x, err := p.expr(a)
		if err != nil {
			return nil, err
		}
		e.args = append(e.args, x)
	}
	return e, nil
}

func (e *expr) eval(params map[string]string) (string, error) {
	switch {
	case e.lit != nil:
		return *e.lit, nil
	case e.param != "":
		v, ok := params[e.param]
		if !ok {
			return "", fmt.Errorf("parameter %q is not bound", e.param)
		}
		return v, nil
	}
	var b strings.Builder
	for _, a := range e.args {
		s, err := a.eval(params)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	if e.fn == "regex-quote" {
		return RegexQuote(b.String()), nil
	}
	return b.String(), nil
}

// Program is a profile with its parameters bound, ready to evaluate.
type Program struct {
	rules  []*Rule
	bound  [][]*bfilter
	params map[string]string
}

type bfilter struct {
	kind string
	s    string
	re   *regexp.Regexp
	host string // "localhost" or "*"
	port int    // -1 for any
	any  bool   // a unix-socket filter without a path
	sub  []*bfilter
}

// Resolve binds the parameters, evaluates every string, and compiles
// every regex. Parameters the profile does not use are ignored, as
// sandbox-exec ignores them.
func (p *Parsed) Resolve(params map[string]string) (*Program, error) {
	prog := &Program{rules: p.Rules, params: params}
	for _, r := range p.Rules {
		var fs []*bfilter
		for _, f := range r.filters {
			b, err := bind(f, params)
			if err != nil {
				return nil, fmt.Errorf("sbpl:%d: %w", r.Line, err)
			}
			fs = append(fs, b)
		}
		prog.bound = append(prog.bound, fs)
	}
	return prog, nil
}

func bind(f *filter, params map[string]string) (*bfilter, error) {
	b := &bfilter{kind: f.kind}
	for _, s := range f.sub {
		x, err := bind(s, params)
		if err != nil {
			return nil, err
		}
		b.sub = append(b.sub, x)
	}
	if f.arg == nil {
		b.any = true
		return b, nil
	}
	s, err := f.arg.eval(params)
	if err != nil {
		return nil, err
	}
	b.s = s
	switch f.kind {
	case "regex":
		b.re, err = compileRegex(s)
	case "subpath":
		if len(s) > 1 {
			b.s = strings.TrimSuffix(s, "/")
		}
	case "remote-ip", "local-ip":
		b.host, b.port, err = parseAddrSpec(s)
	}
	return b, err
}

// parseAddrSpec reads "localhost:PORT", "*:PORT" or either with "*" as
// the port; sandbox-exec takes no other host.
func parseAddrSpec(s string) (string, int, error) {
	host, port, ok := strings.Cut(s, ":")
	if !ok || (host != "localhost" && host != "*") {
		return "", 0, fmt.Errorf("unsupported address %q: want localhost:PORT or *:PORT", s)
	}
	if port == "*" {
		return host, -1, nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return "", 0, fmt.Errorf("bad port in %q", s)
	}
	return host, n, nil
}

// Request is one operation a sandboxed process attempts.
type Request struct {
	Op     string // an exact operation name (see Operations)
	Path   string // file operations and process-exec: the resolved path
	Remote string // network: the remote IP endpoint, "127.0.0.1:3128"
	Local  string // network: the local IP endpoint
	Socket string // network: the unix socket path
	Name   string // mach-lookup service, sysctl name, POSIX IPC name
	Target string // signal and process-info: "same-sandbox" or ""
}

// Decision is the evaluator's answer and the rule that gave it.
type Decision struct {
	Allowed bool
	Rule    *Rule // the last matching rule
}

// Evaluate returns the decision of the last rule whose operations cover
// r.Op and whose filters match r. A request for an unknown operation is
// denied with no rule.
func (p *Program) Evaluate(r Request) Decision {
	if !opSet[r.Op] {
		return Decision{}
	}
	for i := len(p.rules) - 1; i >= 0; i-- {
		rule := p.rules[i]
		if !coversAny(rule.Ops, r.Op) || !anyMatch(p.bound[i], r) {
			continue
		}
		return Decision{Allowed: rule.Allow, Rule: rule}
	}
	return Decision{}
}

// Check evaluates a file operation on path.
func (p *Program) Check(op, path string) Decision {
	return p.Evaluate(Request{Op: op, Path: path})
}

// Evaluate parses src, binds params and evaluates op on path: the
// one-call form of Parse, Resolve and Program.Check.
func Evaluate(src []byte, params map[string]string, op, path string) (Decision, error) {
	p, err := Parse(src)
	if err != nil {
		return Decision{}, err
	}
	prog, err := p.Resolve(params)
	if err != nil {
		return Decision{}, err
	}
	return prog.Check(op, path), nil
}

func coversAny(ops []string, op string) bool {
	for _, o := range ops {
		if covers(o, op) {
			return true
		}
	}
	return false
}

// anyMatch: the filters of a rule are alternatives; none means all.
func anyMatch(fs []*bfilter, r Request) bool {
	if len(fs) == 0 {
		return true
	}
	for _, f := range fs {
		if f.match(r) {
			return true
		}
	}
	return false
}

func (f *bfilter) match(r Request) bool {
	switch f.kind {
	case "require-all":
		for _, s := range f.sub {
			if !s.match(r) {
				return false
			}
		}
		return true
	case "require-any":
		return anyMatch(f.sub, r)
	case "require-not":
		return !f.sub[0].match(r)
	}
	return f.leaf(r)
}

func (f *bfilter) leaf(r Request) bool {
	switch f.kind {
	case "literal":
		return r.Path != "" && r.Path == f.s
	case "subpath":
		return r.Path != "" && (r.Path == f.s || strings.HasPrefix(r.Path, strings.TrimSuffix(f.s, "/")+"/"))
	case "regex":
		return r.Path != "" && f.re.MatchString(r.Path)
	case "remote-ip":
		return r.Op == "network-outbound" && addrMatch(f, r.Remote)
	case "local-ip":
		return addrMatch(f, r.Local)
	case "remote-unix":
		return r.Op == "network-outbound" && r.Socket != "" && (f.any || r.Socket == f.s)
	case "local-unix":
		return r.Op != "network-outbound" && r.Socket != "" && (f.any || r.Socket == f.s)
	case "global-name", "sysctl-name", "ipc-posix-name":
		return r.Name != "" && r.Name == f.s
	case "sysctl-name-prefix":
		return r.Name != "" && strings.HasPrefix(r.Name, f.s)
	case "target":
		return r.Target == "same-sandbox"
	}
	return false
}

func addrMatch(f *bfilter, ep string) bool {
	ap, err := netip.ParseAddrPort(ep)
	if err != nil {
		return false
	}
	if f.host == "localhost" && !ap.Addr().Unmap().IsLoopback() {
		return false
	}
	return f.port < 0 || int(ap.Port()) == f.port
}
