package seatbelt

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestQuote(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "/Users/dev", `"/Users/dev"`},
		{"quote", `a"b`, `"a\"b"`},
		{"backslash", `a\b`, `"a\\b"`},
		{"newline", "a\nb", `"a\nb"`},
		{"control", "a\x01b", `"a\x01b"`},
		{"invalid byte", "a\xffb", `"a\xffb"`},
		{"unicode kept", "é", `"é"`},
		{"parens kept", "(a)", `"(a)"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Quote(tc.in)); diff != "" {
				t.Errorf("Quote (-want +got):\n%s", diff)
			}
			back, err := unquote(Quote(tc.in))
			if err != nil || back != tc.in {
				t.Errorf("unquote(Quote(%q)) = %q, %v", tc.in, back, err)
			}
		})
	}
}

func TestFoldRegex(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ascii", "/Env", `/[Ee][Nn][Vv]`},
		{"metacharacters quoted", "a.b(c)", `[Aa]\.[Bb]\([Cc]\)`},
		{"accent", "é", `[Éé]`},
		{"kelvin joins k", "k", `[Kk\x{212a}]`},
		{"digits", "1", `1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := strings.ReplaceAll(tc.want, `\x{212a}`, "\u212a")
			if diff := cmp.Diff(want, FoldRegex(tc.in)); diff != "" {
				t.Errorf("FoldRegex(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestUpRegex(t *testing.T) {
	re, err := compileRegex(UpRegex("/Users/dev"))
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{"/": true, "/Users": true, "/users/DEV": true, "/Users/dev/x": false,
		"/Users/de": false, "/Other": false} {
		if got := re.MatchString(p); got != want {
			t.Errorf("UpRegex(/Users/dev) on %q = %v, want %v", p, got, want)
		}
	}
}

// TestClassOfReadsAlike renders sets holding every special character and
// checks the class matches exactly its members.
func TestClassOfReadsAlike(t *testing.T) {
	alphabet := []rune(`]\[^-ab/`)
	for mask := 1; mask < 1<<len(alphabet); mask++ {
		var set []rune
		for i, r := range alphabet {
			if mask&(1<<i) != 0 {
				set = append(set, r)
			}
		}
		for _, neg := range []bool{false, true} {
			cls := classOf(neg, runesToRanges(set))
			re, err := compileRegex("^" + cls + "$")
			if err != nil {
				t.Fatalf("classOf(%v, %q) = %q: %v", neg, string(set), cls, err)
			}
			for _, r := range append(alphabet, 'z') {
				in := strings.ContainsRune(string(set), r)
				if got := re.MatchString(string(r)); got != (in != neg) {
					t.Errorf("classOf(%v, %q) = %q matches %q: %v", neg, string(set), cls, r, got)
				}
			}
		}
	}
}

// FuzzEscape: whatever a path holds, as a literal, a parameter through
// regex-quote, case-folded text or a comment, it reads back unchanged and
// adds no form.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"/Users/dev", `/a"b`, `/a\b`, "/new\nline", "/(paren)", "/re.+*?[]{}|^$",
		"/é/İ/K", "\xff\xfe", `") (allow default) ("`, "; comment\n(allow default)", "\x00", "/a\rb\tc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		forms := []string{
			"(allow file-read* (literal " + Quote(s) + "))",
			`(allow file-write* (regex (string-append "^" (regex-quote (param "P")) "$")))`,
		}
		if utf8.ValidString(s) {
			forms = append(forms, "(allow file-link (regex "+Quote("^"+FoldRegex(s)+"$")+"))")
		}
		src := "(version 1)\n; " + commentText(s) + "\n(deny default)\n" + strings.Join(forms, "\n; "+commentText(s)+"\n")
		p, err := Parse([]byte(src))
		if err != nil {
			t.Fatalf("parse: %v\n%s", err, src)
		}
		if len(p.Rules) != 1+len(forms) {
			t.Fatalf("%d rules, want %d:\n%s", len(p.Rules), 1+len(forms), src)
		}
		prog, err := p.Resolve(map[string]string{"P": s})
		if err != nil {
			t.Fatalf("resolve: %v", err)
		}
		checkEscapes(t, prog, s)
	})
}

func checkEscapes(t *testing.T, prog *Program, s string) {
	if s == "" {
		return
	}
	if !prog.Check("file-read-data", s).Allowed || prog.Check("file-read-data", s+"x").Allowed {
		t.Errorf("literal %q does not read back exactly", s)
	}
	if !prog.Check("file-write-data", s).Allowed || prog.Check("file-write-data", "x"+s).Allowed {
		t.Errorf("regex-quote of %q does not match exactly", s)
	}
	if !utf8.ValidString(s) {
		return
	}
	for _, v := range []string{s, strings.ToUpper(s), strings.ToLower(s), s + "x"} {
		want := strings.ToLower(v) == strings.ToLower(s)
		if got := prog.Check("file-link", v).Allowed; got != want {
			t.Errorf("FoldRegex(%q) on %q = %v, want %v", s, v, got, want)
		}
	}
}
