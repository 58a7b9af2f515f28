//go:build !unix

package safefile

import (
	"fmt"
	"os"
)

// open checks beforehand, as far as Stat can tell, what the unix build's
// flags make the kernel check.
func open(path string, noFollow bool) (*os.File, error) {
	stat := os.Stat
	if noFollow {
		stat = os.Lstat
	}
	fi, err := stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file", path, Kind(fi.Mode()))
	}
	return os.Open(path)
}
