package seatbelt

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

// TestASCIILowerInv checks the short walk against the full one.
func TestASCIILowerInv(t *testing.T) {
	caseOnce.Do(buildLowerInv)
	asciiInvOnce.Do(buildASCIILowerInv)
	n := 0
	for l := rune(0); l < utf8.RuneSelf; l++ {
		if !reflect.DeepEqual(asciiLowerInv[l], lowerInv[l]) {
			t.Errorf("%q: short walk %q, full walk %q", l, asciiLowerInv[l], lowerInv[l])
		}
		n += len(lowerInv[l])
	}
	if n < 28 { // A-Z, U+0130 and U+212A at least
		t.Errorf("only %d runes lower-case to ASCII", n)
	}
}
