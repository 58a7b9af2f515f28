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
