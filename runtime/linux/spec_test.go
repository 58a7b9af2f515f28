package linux

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadStatus(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Status
	}{
		{"bwrap failed before the inner stage", "", Status{}},
		{"exec succeeded", "R\x00", Status{Ready: true}},
		{"not found before exec", "E127 ls: not found\x00", Status{Code: 127, Msg: "ls: not found"}},
		{"exec failed after ready", "R\x00E126 cannot execute x: permission denied\x00",
			Status{Ready: true, Code: 126, Msg: "cannot execute x: permission denied"}},
		{"garbled code is a setup failure", "Exx broken\x00", Status{Code: ExitSetup, Msg: "broken"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ReadStatus(strings.NewReader(tc.in))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// A string that JSON would carry with U+FFFD in place of its bad bytes is
// refused wherever it sits in the plan; bytes are not text.
func TestCheckUTF8(t *testing.T) {
	for _, s := range []Spec{
		{Argv: []string{"printf", "A\xffB"}},
		{Env: []string{"X=v\xfe"}},
		{Dir: "/w/\xff"},
		{Guards: []Guard{{Path: "/w/\xff\xfe.env"}}},
	} {
		if err := CheckUTF8(&s); err == nil || !strings.Contains(err.Error(), "is not valid UTF-8") {
			t.Errorf("%+v: err %v, want a refusal", s, err)
		}
	}
	// An environment value can be a secret: the error shows the name only.
	secret := Spec{Env: []string{"TOKEN=s3cr3t\xff"}}
	if err := CheckUTF8(&secret); err == nil || strings.Contains(err.Error(), "s3cr3t") ||
		!strings.Contains(err.Error(), `"TOKEN=…"`) {
		t.Errorf("env refusal: %v", err)
	}
	ok := Spec{Argv: []string{"printf", "é"}, Seccomp: []byte{0xff, 0xfe}, Dir: "/w"}
	if err := CheckUTF8(&ok); err != nil {
		t.Errorf("valid plan refused: %v", err)
	}
}
